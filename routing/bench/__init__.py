"""Benchmarks on published instance sets: VRPLIB files in and out, and an independent referee.

:mod:`~routing.bench.vrplib` reads instances, :mod:`~routing.bench.solutions` reads and
writes solution files, :mod:`~routing.bench.evaluate` prices solutions with PyVRP as
the referee, and :mod:`~routing.bench.solve` solves a file and has the referee check it.
"""
