"""A real MQTT client for the client-side fuzz tests: paho-mqtt (PyPI, pinned in .ci/run)
subscribes to topic 't' on 127.0.0.1:$OTPROOF_PORT and runs its network loop until the
connection ends. otproof plays the broker. Usage: paho_client.py [--v5] [PORT]; --v5 speaks
MQTT 5.0 (protocol=MQTTv5, clean start), else MQTT 3.1.1."""
import os
import sys

import paho.mqtt.client as mqtt

args = [a for a in sys.argv[1:] if a != "--v5"]
v5 = "--v5" in sys.argv[1:]
port = int(args[0]) if args else int(os.environ["OTPROOF_PORT"])
if v5:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="otproof-test",
                         protocol=mqtt.MQTTv5)
else:
    client = mqtt.Client(mqtt.CallbackAPIVersion.VERSION2, client_id="otproof-test",
                         clean_session=True, protocol=mqtt.MQTTv311)


def on_connect(c, userdata, flags, reason_code, properties):
    if not reason_code.is_failure:
        c.subscribe("t", qos=1)


client.on_connect = on_connect
if v5:
    client.connect("127.0.0.1", port, keepalive=60, clean_start=True)
else:
    client.connect("127.0.0.1", port, keepalive=60)
# One session: no reconnect; the loop returns when the connection ends.
client.loop_forever(retry_first_connection=False)
