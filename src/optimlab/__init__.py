"""optimlab: the book's machinery, built on the :mod:`optimbook` library.

- :mod:`optimlab.training` -- data, models, losses, the training loops (one per kind of model),
  pretraining and fine-tuning of the AdaMix paper's autoencoder, 2-D landscapes, distributed runs;
- :mod:`optimlab.experiments` -- the experiments' setups, runner, results cache and report;
- :mod:`optimlab.cost` -- accounting for compute: FLOP ledger, timers, the machine;
- :mod:`optimlab.presentation` -- the book's figures, tables and diagrams.

It imports the library; the library never imports it (an import-linter contract, ``make test``).
The command line ``optimbook run …`` is :mod:`optimlab.__main__` (also ``python -m optimlab``).
"""
