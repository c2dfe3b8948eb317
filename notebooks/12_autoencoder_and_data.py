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
# # The model and the data of the AdaMix paper
#
# He and Li {cite}`he2016adamix` test their learning-rate strategy AdaMix (组合型学习率策略) on one
# task: reconstructing MNIST digits with the deep autoencoder (自编码器) of Hinton and Salakhutdinov
# {cite}`hinton2006reducing`, pretrained as a stack of restricted Boltzmann machines (限制玻尔兹曼机,
# RBM) and then fine-tuned by stochastic gradient descent. This part of the book rebuilds that
# setting and reruns all five of their experiments. This chapter covers what every experiment
# shares: the data, the RBMs and their pretraining, the unrolled network, and the error measure,
# and it settles three readings the paper leaves open: how the 1/10 subsets are drawn, how the
# first layer's biases start, and what the reconstruction error (RER) sums over.

# %% tags=["parameters"]
scale = "smoke"
device = "auto"
seed = 0

# %% tags=["setup"]
import matplotlib.pyplot as plt

from optimlab.presentation import replication
from optimlab.presentation.chapter import start
from optimlab.presentation.plotting import glue
from optimlab.presentation.tables import table
from optimlab.training.models.autoencoder import DeepAutoencoder

ch = start(scale, device, seed)
setup = replication.adamix.SETUPS[scale]

# %% [markdown]
# ## The paper's three diagrams
#
# Fig. 1 of the paper is Hinton and Salakhutdinov's recipe: pretrain a stack of RBMs greedily, each
# on the hidden activities of the one below; unroll the stack into an encoder and a mirrored
# decoder that shares the weights transposed; then fine-tune the whole network by
# back-propagating the reconstruction error. Fig. 2 is the graph of one RBM, Fig. 3 a single neuron
# (eq. (10)-(11): $y_j = f(u_j)$, $u_j = \sum_i \omega_{ij} x_i + b_j$).

# %%
replication.diagram_figure(setup.sizes)
plt.show()

# %% [markdown] tags=["caption"]
# The paper's Fig. 1, redrawn: greedy RBM pretraining, unrolling into an encoder and a decoder, and
# fine-tuning.


# %%
replication.diagrams_figure()
plt.show()

# %% [markdown] tags=["caption"]
# The paper's Fig. 2 (an RBM: visible and hidden units, fully connected between the layers) and
# Fig. 3 (a neuron: weighted inputs, bias and activation).


# %% [markdown]
# ## The data
#
# Experiments 1-4 use "1/10 of MNIST: 6 000 training and 1 000 test images"; experiment 5 uses
# 1/10, 3/10, 6/10 and all of it. The paper does not say which images. Our reading is a seeded
# random subset, drawn by a rule that depends on nothing but a hash, so anyone can redraw it
# ({func}`optimlab.training.data.subset_indices`): rank every index by the BLAKE2b digest of
# `"{seed}:{index}"` and keep the lowest ranked. For one seed the subsets are nested (the 1/10
# subset lies inside the 3/10 subset). Pixels are divided by 255, as in Hinton and Salakhutdinov's
# code, and not binarised.
#
# ```{literalinclude} /src/optimlab/training/data.py
# :pyobject: subset_indices
# ```

# %%
data = replication.subset(ch)
replication.glue_all(data.numbers())
replication.subset_figure(data)
plt.show()

# %% [markdown] tags=["caption"]
# The training subset: its first images (left) and the share of each digit in the subset and in all
# of MNIST (right).


# %% [markdown]
# At this scale the training subset has {glue:text}`n_train` images and the test subset
# {glue:text}`n_test`; no digit's share differs from its share in all of MNIST by more than
# {glue:text}`balance_gap:.3f`.
#
# ## RBMs and their pretraining
#
# An RBM with visible units $v$ and hidden units $h$ has weights $\omega_{ij}$ and biases $b_{1i}$
# (visible) and $b_{2j}$ (hidden). Given the visible units the hidden units are independent, and
# vice versa, so one step of Gibbs sampling is two matrix products. Training follows the
# log-likelihood gradient, which the paper writes for the three kinds of parameters as its
# eq. (1)-(3), a difference of expectations under the data and under the model:
#
# $$
# \begin{aligned}
# \Delta\omega_{ij} &= \alpha\bigl(E_{\text{data}}[v_i h_j] - E_{\text{model}}[v_i h_j]\bigr),\\
# \Delta b_{1i} &= \beta\bigl(E_{\text{data}}[v_i] - E_{\text{model}}[v_i]\bigr),\\
# \Delta b_{2j} &= \gamma\bigl(E_{\text{data}}[h_j] - E_{\text{model}}[h_j]\bigr).
# \end{aligned}
# $$ (eq-rbm)
#
# (The paper prints $v_i v_i^T$ and $h_i h_i^T$ inside the bias terms, a misprint: the bias gradients
# are the unit means.) Contrastive divergence {cite}`hinton2002training` replaces the model
# expectation by the statistics of a one-step reconstruction (CD-1). We follow Hinton and
# Salakhutdinov's code where the paper is silent: the positive statistics use hidden probabilities,
# the reconstruction is driven by sampled binary hidden states, visible units are reconstructed as
# probabilities, and each RBM is trained on the hidden probabilities of the one below. The 250-30
# RBM has linear Gaussian hidden units (unit variance), which makes the code layer linear.
#
# ```{literalinclude} /src/optimlab/training/models/rbm.py
# :pyobject: RBM.cd1
# ```
#
# ```{literalinclude} /src/optimlab/training/pretraining.py
# :pyobject: train_rbm
# ```

# %% [markdown]
# The update of `train_rbm` is Hinton and Salakhutdinov's: momentum 0.5 for five epochs and 0.9
# after, a weight cost of 0.0002, batches of 100, 50 epochs per layer at paper scale ({glue:text}`pretrain_epochs` in this
# run), learning rate 0.1 for the
# binary RBMs (the paper's pretraining rate) and 0.001 for the Gaussian top RBM (their code; the
# paper gives one rate for all). Initial weights are drawn from $N(0, 0.001)$ (the paper says
# variance 0.001; Hinton's code uses standard deviation 0.1). The first layer's visible biases
# start "from the training data": our reading is the log-odds $\log(p_i/(1-p_i))$ of each pixel's
# mean intensity $p_i$, clipped to $[10^{-3}, 1-10^{-3}]$, the initialisation of Hinton's practical
# guide {cite}`hinton2012practical`; all other biases start at zero.

# %%
rbms, pre_log, layers, pre_numbers = replication.pretraining(ch, data.x_train)
replication.glue_all(pre_numbers)
replication.pretraining_figure(pre_log)
plt.show()

# %% [markdown] tags=["caption"]
# Greedy pretraining of the RBM stack: the CD-1 reconstruction error per example of each layer
# against its pretraining epochs (with a single epoch per layer, the error of each layer).

# %%
table(layers)

# %% [markdown]
# Training the four RBMs on this subset took {glue:text}`pretrain_layer_seconds:.3g` s in the run that
# filled the cache (the sum of the table's per-layer times, on the device recorded in the log; the
# whole pretraining job, data and bookkeeping included, took {glue:text}`pretrain_seconds:.3g` s);
# every strategy of an experiment then
# fine-tunes a copy of this same network, so the comparisons between strategies are paired.
#
# ## Unrolling
#
# The encoder uses each RBM's weights and hidden biases bottom up; the decoder uses the transposed
# weights and the visible biases top down; the two halves are untied from then on. All units are
# logistic except the 30 linear code units. (The common mistakes of public ports, dropping the
# visible biases or making the code layer logistic, change the starting point of fine-tuning.)
#
# ```{literalinclude} /src/optimlab/training/models/autoencoder.py
# :pyobject: DeepAutoencoder.unroll
# :dedent:
# ```

# %%
unrolled = DeepAutoencoder.unroll(rbms).to(ch.device)
print("layer widths:", unrolled.sizes)
print("activations:", unrolled.activations)

# %% [markdown]
# ## The reconstruction error
#
# The paper defines its measure of convergence, the reconstruction error rate, as the mean over
# the $N$ test images of a per-image mean squared error over the $D$ pixels (eq. (8)-(9)):
#
# $$
# \mathrm{RER} = \frac{1}{N}\sum_{n=1}^{N} \mathrm{MSE}(n), \qquad
# \mathrm{MSE}(n) = \frac{1}{D}\sum_{d=1}^{D}\bigl(\mathrm{In}_n(d) - \mathrm{Out}_n(d)\bigr)^2 .
# $$ (eq-rer)
#
# With pixels in [0, 1] that number cannot exceed 1, yet the paper reports values from 3.56 to
# 51.40. Its numbers have the scale of Hinton and Salakhutdinov's error, the squared error *summed*
# over the 784 pixels and averaged over images (their autoencoder reaches 3.00 on all of MNIST
# after 200 epochs; the paper's AdaMix reaches 3.56 after 50). We therefore report
# $\mathrm{RER} = \frac1N\sum_n\sum_d(\mathrm{In}_n(d)-\mathrm{Out}_n(d))^2$, which is eq. (8)-(9)
# times $D = 784$. The fine-tuning loss is the same squared error summed over the pixels and over
# the 100 images of a mini-batch (the paper's eq. (6) sums the per-example gradients).

# %%
rer, rer_numbers = replication.rer_scales(ch, unrolled, data.x_test)
replication.glue_all(rer_numbers)
table(rer)

# %% [markdown]
# Before fine-tuning the unrolled network has a test RER of {glue:text}`rer_unrolled:.2f`; after
# {glue:text}`epochs` epochs with a constant rate it has {glue:text}`rer_cons:.2f`. Read literally,
# eq. (8)-(9) would give {glue:text}`mse_cons:.4f` for the same network,
# {glue:text}`mse_orders:.1f` orders of magnitude below the smallest value the paper prints
# ({glue:text}`smallest_published:.2f`).
#
# ## Reconstructions

# %%
replication.reconstructions_figure(ch, unrolled, data.x_test)
plt.show()

# %% [markdown] tags=["caption"]
# Test images and their reconstructions by the unrolled network before fine-tuning and after
# fine-tuning with Cons and with AdaMix.


# %% [markdown]
# ## Two readings and what they move
#
# Two choices of this chapter are readings, not facts: the subset (a seeded random draw rather
# than, say, the first 6 000 images of the training file) and the first layer's biases (the data's
# log-odds rather than zero, as in Hinton's code). Each needs its own pretraining, so we rerun the
# constant-rate strategy and AdaMix under each alternative and compare the final test RER.

# %%
ablation, ablation_numbers = replication.reading_ablation(ch)
replication.glue_all(ablation_numbers)
replication.reading_ablation_figure(ablation, setup.epochs)
plt.show()

# %% [markdown] tags=["caption"]
# The test RER of Cons and AdaMix at the end of the run under each reading of the paper's ambiguous
# details.

# %%
table(ablation)

# %% [markdown]
# Drawing the first images of the files instead of a random subset changes the final RER by
# {glue:text}`abl_first_Cons:+.3f` for Cons and {glue:text}`abl_first_AdaMix:+.3f` for AdaMix (the
# test images change too, so this mixes a different test set with a different training set).
# Starting the first layer's visible biases at zero changes it by {glue:text}`abl_bias_Cons:+.3f`
# and {glue:text}`abl_bias_AdaMix:+.3f`. Chapter 18 sets these differences beside the spread
# between seeds.
