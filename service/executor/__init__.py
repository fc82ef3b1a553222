"""Executors: where solves run (local processes now, Dask later)."""
