"""One router per resource: plans, quotes, vroom, health."""
