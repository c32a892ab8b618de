"""Which part of a global batch this `tf.distribute` replica computes.

A strategy splits each global batch into consecutive, equal parts, replica r taking
rows [r * n / R, (r + 1) * n / R). An update that is handed the whole batch (the RL
agents' replayed or collected batches) computes its own rows with these helpers, and
scales its loss so that the gradients Keras sums over replicas are the one-device ones.
"""

import tensorflow as tf

from kgen.core.validation import fail


def num_replicas():
    """Replicas computing the current step in sync (1 outside a strategy's replica context)."""
    context = tf.distribute.get_replica_context()
    return 1 if context is None else context.num_replicas_in_sync


def replica_id():
    """This replica's index in its sync group (0 outside a strategy)."""
    context = tf.distribute.get_replica_context()
    return 0 if context is None else context.replica_id_in_sync_group


def own_rows(tensor, axis=0):
    """This replica's consecutive share of `tensor` along `axis` (all of it with one replica)."""
    replicas = num_replicas()
    if replicas == 1:
        return tensor
    size = tensor.shape[axis]
    if size is None or size % replicas:
        fail("batch", f"a batch of {size} rows", f"a number of rows divisible by the {replicas} replicas")
    share = size // replicas
    begin = [0] * tensor.shape.rank
    begin[axis] = replica_id() * share
    sizes = [-1] * tensor.shape.rank
    sizes[axis] = share
    return tf.slice(tensor, begin, sizes)
