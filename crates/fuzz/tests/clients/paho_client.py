"""A real MQTT 3.1.1 client for the client-side fuzz tests: paho-mqtt (PyPI, pinned in
.ci/run) subscribes to topic 't' on 127.0.0.1:$OTPROOF_PORT and runs its network loop until
the connection ends. otproof plays the broker. Usage: paho_client.py [PORT]"""
import os
import sys

import paho.mqtt.client as mqtt

port = int(sys.argv[1]) if len(sys.argv) > 1 else int(os.environ["OTPROOF_PORT"])
client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="otproof-test", clean_session=True,
                     protocol=mqtt.MQTTv311)


def on_connect(c, userdata, flags, reason_code, properties):
    if not reason_code.is_failure:
        c.subscribe("t", qos=1)


client.on_connect = on_connect
client.connect("127.0.0.1", port, keepalive=60)
# One session: no reconnect; the loop returns when the connection ends.
client.loop_forever(retry_first_connection=False)
