"""Daemon plugin for the tests: make this daemon claim an older protocol version.

A real old daemon would be an older InkMod install; changing the attribute the daemon reads at
``hello`` time gives the client exactly what it would see from one.
"""

from inkmod.rpc import protocol

protocol.PROTOCOL_VERSION = protocol.PROTOCOL_VERSION - 1
