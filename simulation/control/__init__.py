"""Climate control as pure functions: the reduced hall model, the model-predictive planner,
the humidistat baseline and the interlock rules (no I/O; see ``bridge/control`` for the runtime).

Modules:

* :mod:`simulation.control.devices` - what an actuator does to the hall's air (capacity, power)
* :mod:`simulation.control.hall_model` - the reduced model: the climate model's equations on one
  well-mixed cell (plus display cases), batched over candidate plans
* :mod:`simulation.control.mpc` - the planner: the next hours of actuator settings, first step applied
* :mod:`simulation.control.humidistat` - the reactive rule, fallback and baseline
* :mod:`simulation.control.interlocks` - the rules that hold whichever controller decides
* :mod:`simulation.control.plant` - the 2-D climate model driven by actuator states (benchmark, demo)
"""
