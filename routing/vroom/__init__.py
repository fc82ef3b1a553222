"""VROOM's request and response format, solved natively with OR-Tools.

``request`` (with ``fields`` and ``consistency``) parses and validates VROOM's JSON
into frozen value objects; ``model`` builds one OR-Tools routing model that states
every VROOM constraint; ``timeline`` computes arrival times, loads, costs and
violations along given routes (VROOM's plan mode and the solver's answer alike);
``solve`` runs the search and makes every route clean; ``improve`` then improves the
routes under VROOM's own rules (``moves``: local search moves priced in O(1);
``lns``: ruin and recreate; ``search_state``: the routes and their exact check;
``prices``: integer matrices per vehicle, once per request); ``response`` renders VROOM's
output shape; ``api`` is the one call for the CLI (``cli``) and the service; ``check``
is an independent referee that reads only the raw request and response; ``samples``
draws random requests for the oracle tests and the benchmark.
"""
