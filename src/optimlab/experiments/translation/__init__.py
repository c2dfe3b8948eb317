"""The survey's translation claim (Chang, Liang & Li 2024): every optimizer family on a small
Transformer, French → English, under a protocol fixed in advance.

- :mod:`.corpus`: the generated parallel corpus (pyrealb, the lexicon ``lexicon.tsv``);
- :mod:`.engfra`: the ``eng-fra.txt`` format of PyTorch's seq2seq tutorial (a real file in its place);
- :mod:`.tokenizer`: byte-level BPE vocabularies (Hugging Face ``tokenizers``);
- :mod:`.model`: the encoder-decoder on :class:`torch.nn.Transformer`, greedy decoding;
- :mod:`.metrics`: BLEU and chrF (sacrebleu);
- :mod:`.protocol`: families, grids, budgets, the choices and claim C7's test;
- :mod:`.runner`: data, cached and resumable runs, work counted; :func:`run` and :func:`write_csv`.

``optimbook run translation --scale smoke --seeds 0 1`` writes ``results/smoke/translation.csv``.
"""

from optimlab.experiments.translation import protocol
from optimlab.experiments.translation.protocol import BUDGETS, FAMILIES, OPTIMIZERS, c7
from optimlab.experiments.translation.runner import COLUMNS, SETTINGS, claim, examples, prepare, run, write_csv

__all__ = ["BUDGETS", "COLUMNS", "FAMILIES", "OPTIMIZERS", "SETTINGS", "c7", "claim", "examples", "prepare",
           "protocol", "run", "write_csv"]
