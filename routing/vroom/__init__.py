"""VROOM's request and response format, solved natively with OR-Tools.

``request`` parses and validates VROOM's JSON into frozen value objects; ``solve``
builds one OR-Tools routing model that expresses every VROOM constraint; ``timeline``
computes arrival times, loads and violations along given routes (VROOM's plan mode
and the solver's answer alike); ``response`` renders VROOM's output shape; ``check``
is an independent referee that reads only the raw request and response.
"""
