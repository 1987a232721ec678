"""A real Modbus/TCP server for otproof's tests: pymodbus (PyPI, pinned by .ci/run).

usage: pymodbus_server.py PORT   (listens on 127.0.0.1 only)
"""
import logging
import sys

from pymodbus.datastore import (
    ModbusSequentialDataBlock,
    ModbusServerContext,
    ModbusSlaveContext,
)
from pymodbus.device import ModbusDeviceIdentification
from pymodbus.server import StartTcpServer

logging.disable(logging.CRITICAL)


def main():
    port = int(sys.argv[1])
    block = lambda: ModbusSequentialDataBlock(0, [0] * 1000)  # noqa: E731
    store = ModbusSlaveContext(di=block(), co=block(), hr=block(), ir=block())
    context = ModbusServerContext(slaves=store, single=True)
    identity = ModbusDeviceIdentification(
        info_name={
            "VendorName": "pymodbus",
            "ProductCode": "PM",
            "ProductName": "pymodbus test server",
            "MajorMinorRevision": "3.6.9",
        }
    )
    print("ready", flush=True)
    StartTcpServer(context=context, identity=identity, address=("127.0.0.1", port))


if __name__ == "__main__":
    main()
