"""Everything a run's future depends on, as arrays: a model's variables (weights, batch-norm
statistics, `SeedGenerator` states) and every optimizer's variables
(iteration count and slots), plus an agent's Python-side state (replay buffer, RNGs,
environment), so a restored model continues exactly where the saved one was."""

import keras

from kgen.core.errors import KgenValueError


def optimizers(model):
    """The model's optimizers: `model.optimizer` and any other attribute that is one (a GAN's two)."""
    found = {}
    for value in [getattr(model, "optimizer", None), *vars(model).values()]:
        if isinstance(value, keras.optimizers.Optimizer):
            found.setdefault(id(value), value)
    return list(found.values())


def build_optimizers(model):
    """Create the slots of an optimizer that `fit` would build lazily (Keras builds on first use)."""
    for optimizer in optimizers(model):
        if not optimizer.built:
            optimizer.build(model.trainable_variables)


def state_variables(model):
    """Every variable of the run's state, in a fixed order (the same for the same model and recipe).

    Metric trackers are left out (Keras builds compiled metrics on the first step): the
    logs of an epoch interrupted and resumed average only its batches after the resume."""
    build_optimizers(model)
    seen, ordered = set(), []
    groups = [model.variables] + [o.variables for o in optimizers(model)]
    for group in groups:
        for variable in group:
            if id(variable) not in seen:
                seen.add(id(variable))
                ordered.append(variable)
    return ordered


def describe(variables):
    """[path, shape] of each variable. A checkpoint restores into a model whose variables have the
    same shapes in the same order; paths are only reported (Keras numbers layer names per process)."""
    return [[variable.path, list(variable.shape)] for variable in variables]


def capture(model):
    """(arrays, description): the values of `state_variables(model)` and their paths and shapes."""
    variables = state_variables(model)
    return [keras.ops.convert_to_numpy(variable.value) for variable in variables], describe(variables)


def restore(model, arrays, description, source):
    """Assign `arrays` to the model's state variables, after checking they are the same variables."""
    variables = state_variables(model)
    mine, theirs = describe(variables), description
    if [shape for _, shape in mine] != [shape for _, shape in theirs]:
        first = next((i for i, (a, b) in enumerate(zip(mine, theirs)) if a[1] != b[1]), min(len(mine), len(theirs)))
        raise KgenValueError(
            f"checkpoint {source} holds {len(theirs)} state variables, this model has {len(mine)}; the first "
            f"difference is at #{first}: saved {theirs[first] if first < len(theirs) else 'nothing'}, model "
            f"{mine[first] if first < len(mine) else 'nothing'}. It was written by another model; start over "
            "(kgen train --fresh) or restore it into the model that wrote it."
        )
    for variable, array in zip(variables, arrays):
        variable.assign(array)
