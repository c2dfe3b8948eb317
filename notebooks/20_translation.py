# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#       format_version: '1.3'
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # The survey's translation claim: every optimizer family on a Transformer
#
# The sources make one experimental claim beyond the AdaMix paper. Chang, Liang and Li
# {cite}`chang2024optimizers` review the optimizers in three families, apply them to a Transformer
# {cite}`vaswani2017attention` with French-English translation as the benchmark, and conclude, in
# their abstract (the only part of the paper available to us, at the end of source 003):
#
# > 将优化器应用到Transformer架构中,选取法-英翻译任务作为评估基准,通过实验深入探讨优化器在特定任务上的效果差异。
# > 实验结果表明,自适应矩估计类优化器在机器翻译任务上有效提高模型的性能。
#
# "We apply the optimizers to the Transformer architecture, take the French-English translation task
# as the benchmark, and examine through experiments how the optimizers' effects differ on a specific
# task. The results show that the adaptive-moment-estimation optimizers effectively improve the
# model's performance on machine translation." The abstract gives no data size, model size, learning
# rates or scores. We call the claim **C7** (C1-C6 are the AdaMix paper's, chapter 18) and test it
# under a protocol fixed in code before the first run.

# %% tags=["parameters"]
scale = "smoke"
device = "auto"

# %% tags=["setup"]
import matplotlib.pyplot as plt

from optimlab.experiments.translation import report, runner
from optimlab.presentation import replication
from optimlab.presentation.chapter import start
from optimlab.presentation.tables import table

ch = start(scale, device)

# %%
data = runner.prepare(scale)
replication.glue_all(report.corpus_numbers(scale, data))

# %% [markdown]
# ## The corpus
#
# No real French-English corpus installs from the package registries this project can reach, so the
# numbers of this chapter come from a **generated** corpus. A seeded grammar draws sentence plans —
# a subject (a noun phrase or a personal pronoun), a verb, an object or its pronoun, an optional
# prepositional phrase, a tense, negation, a question — over a bilingual lexicon of
# {glue:text}`n_lexicon` lemma pairs kept in the repository, and pyrealb {cite}`lapalme2023pyrealb`
# writes each plan in both languages, with agreement, conjugation, elision, adjective placement,
# clitic pronouns and inversion. The corpus is a pure function of its size and seed. At
# {glue:text}`scale` scale it has {glue:text}`n_pairs` pairs: {glue:text}`n_train` to train,
# {glue:text}`n_valid` to validate (every choice) and {glue:text}`n_test` to test (BLEU and chrF,
# never a choice). {glue:text}`scale_note`
#
# It is written in the tab-separated `eng-fra.txt` format of PyTorch's sequence-to-sequence
# tutorial, so a reader with the network passes that real file, or any such file, with one argument:
# `translation.run(scale, corpus="data/eng-fra.txt")`.
#
# What a generated corpus can show: whether an optimizer trains a Transformer to map French syntax
# onto English (word order, agreement, clitics, compound tenses) on a closed vocabulary. What it
# cannot: anything about open-vocabulary, noisy, idiomatic text. Its meanings are random ("a clever
# church"), and a few of its sentences are not idiomatic French ("ne veut pas des pommes"); a model
# learns the mapping all the same. A few test pairs:

# %%
table(report.test_pairs(data))

# %% [markdown]
# ## The model and the metrics
#
# An encoder-decoder {class}`torch.nn.Transformer` (post-layer-norm, as in the original) with
# sinusoidal positions, over byte-level BPE vocabularies {cite}`sennrich2016neural` trained on the
# training split with Hugging Face's `tokenizers`: {glue:text}`src_vocab` French and
# {glue:text}`tgt_vocab` English tokens. It translates French into English (the survey's 法-英
# direction), decodes greedily, and is scored with sacrebleu {cite}`post2018call`: corpus BLEU
# {cite}`papineni2002bleu` and chrF {cite}`popovic2015chrf`, both as percentages.

# %%
model, model_numbers = report.model_table(scale, data)
replication.glue_all(model_numbers)
table(model, formats={"parameters": "{:,}", "dropout": "{:g}"})

# %% [markdown]
# The model has {glue:text}`n_params:,` parameters. The metrics' signatures:
# {glue:text}`signature`.

# %% [markdown]
# ## The protocol, fixed before any result
#
# Written in `optimlab.experiments.translation.protocol` before the first paper-scale run:
#
# - **Families**, with the survey's members; AdaDec and AdaMix, the book's own, join the adaptive
#    gradient family (table below). Every optimizer is the library's, with its default constants.
# - **The rate** is the Transformer's: a linear warmup over the first
#    {glue:text}`warmup_pct` % of the steps to a peak rate, then the inverse square root, built as
#    `linear_warmup(power_decay(peak, w, 0.5), w)` from {mod}`optimbook.schedules` and passed to
#    each optimizer as its `lr`.
# - **Tuning**, the same for all: each peak rate of the grid ({glue:text}`grid`), one seed; the
#    rate with the lowest final validation loss is chosen. A run that diverges ranks last.
# - **Seeds**: each optimizer at its chosen rate over {glue:text}`n_seeds` seeds.
# - **Best of a family**: its member with the lowest mean final validation loss.
# - **C7** holds if the best adaptive-moment optimizer's test BLEU exceeds the best of each other
#    family with a paired {glue:text}`level` % Student-t interval over seeds above zero; it does not
#    hold if either interval lies at or below zero; otherwise it is inconclusive.
# - **Budget sensitivity**: the same test after tuning on the smaller grid
#    ({glue:text}`small_grid`), and on that grid without warmup (the same decay from step 0).

# %%
replication.glue_all(report.protocol_numbers(scale))
table(report.families_table())

# %%
study = report.study(scale, ch.device)
replication.glue_all(study.numbers())

# %% [markdown]
# ## Tuning
#
# Each optimizer's final validation loss at every peak rate of the grid, with warmup, seed
# {glue:text}`tuning_seed`; the lowest point of each curve is its choice. Of the
# {glue:text}`n_runs` runs of this chapter, {glue:text}`n_diverged` diverged (their loss became
# NaN or infinite; they rank last).

# %%
replication.tuning_figure(study)
plt.show()

# %% [markdown] tags=["caption"]
# Tuning: the final validation loss (cross-entropy per English token) of each optimizer at each
# peak rate of the grid, one seed, with warmup; one panel per family, both axes logarithmic (so that
# a rate too large, whose loss can end far above the rest, does not flatten the other points).
# Missing points diverged.

# %% [markdown]
# Chosen at the grid's largest rate: {glue:text}`edge_top`; at its smallest:
# {glue:text}`edge_bottom`. Such an optimizer might have done better beyond the grid. The protocol,
# fixed in advance, does not widen the grid for anyone, so for these optimizers the tuning budget was
# binding; the budget sensitivity below shows how much the verdict depends on the grid.

# %% [markdown]
# ## Validation loss during training
#
# Each optimizer at its chosen rate, mean over the seeds (band: lowest to highest seed).

# %%
replication.training_figure(study)
plt.show()

# %% [markdown] tags=["caption"]
# Validation loss against epochs for every optimizer at its chosen peak rate, one panel per family;
# line: mean over seeds, band: the range over seeds.

# %% [markdown]
# ## Test BLEU and chrF
#
# Final test scores at each optimizer's chosen rate, mean over {glue:text}`n_seeds` seeds with
# {glue:text}`level` % Student-t intervals; ★ marks the best of each family (by validation loss).


# %%
scores, score_numbers = report.score_table(study)
replication.glue_all(score_numbers)
replication.translation_scores(scores, level=report.protocol_numbers(scale)["level"])

# %% [markdown]
# ## The verdict
#
# The best of the adaptive-moment family is {glue:text}`best_moment` (mean test BLEU
# {glue:text}`bleu_moment:.1f`); of gradient descent, {glue:text}`best_gd`; of the adaptive-gradient
# family, {glue:text}`best_ag`. The paired differences of test BLEU over seeds:

# %%
replication.translation_diffs(study.diffs)

# %% [markdown]
# **C7 at {glue:text}`scale` scale: {glue:text}`verdict`.** {glue:text}`scale_note`

# %% [markdown]
# ## Budget sensitivity
#
# A claim about optimizers often depends on how each was tuned. The same test after tuning on the
# smaller grid, with and without warmup:

# %%
replication.translation_diffs(report.sensitivity(study))

# %% [markdown]
# C7 is **{glue:text}`verdict_protocol`** under the protocol's budget, **{glue:text}`verdict_smaller_grid`**
# with the smaller grid and **{glue:text}`verdict_no_warmup`** with the smaller grid and no warmup.

# %% [markdown]
# ## Example translations
#
# The first test sentences as {glue:text}`best_moment` (seed {glue:text}`tuning_seed`) and
# {glue:text}`best_gd` translate them after the last epoch.

# %%
table(report.examples_table(study, device=ch.device))

# %% [markdown]
# ## Compute
#
# The work of every distinct run of this chapter, counted with
# {class}`torch.utils.flop_counter.FlopCounterMode` (a training step on a full batch times the
# steps, plus the evaluations: validation loss and greedy decoding of the test split), and the
# training time the cached runs took.

# %%
replication.glue_all(report.compute(study, ch.device))

# %% [markdown]
# In all {glue:text}`n_runs` runs: {glue:text}`tflop:.3g` TFLOP and {glue:text}`train_minutes:.1f`
# minutes of training time (evaluations excluded), on {glue:text}`device_name`.
