"""Dataset runs, one module per step, data flowing one way.

``config`` (validated plain data; ``sections`` its tables, ``toml`` its text)
-> ``plan`` (a list of resolved :class:`~synthstem.runs.task.Task`; ``sources`` loads
structures) -> ``build`` (one task -> one item in memory) -> ``write`` (atomic files)
-> ``manifest`` (records, resume) -> exports; ``execute`` maps build + write over the
tasks (this process, a process pool or Dask), ``lock`` guards the folder, ``estimate``
predicts the time, ``run`` puts the steps together (:func:`synthstem.runs.run.run_dataset`).

Nothing is imported here: a worker process sets its thread counts before numpy loads.
"""
