"""The composition root: the only place that picks adapters and wires them to the use cases."""
