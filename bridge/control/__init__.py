"""Closing the loop to the hall's machines: actuator command conventions (encoders and echo
decoders), feedback checks, the audit trail, and the runtime that runs a controller over MQTT.

The maths (reduced model, planner, humidistat, interlocks) lives in :mod:`simulation.control`.
"""
