"""Recipes: one frozen dataclass per preset with its hyperparameters, `build`, `fit`, `score`
and `card`; `kgen train FAMILY` and `kgen eval PRESET` are tables over these.

Examples:
    >>> recipe = kgen.recipes.DCGANFashionMNIST(epochs=1)
    >>> gan, scores = recipe.train("my_dcgan")
"""

from kgen.core.validation import fail
from kgen.recipes.base import Recipe
from kgen.recipes.classifier import FashionMNISTClassifier
from kgen.recipes.data import ImageData, ImageSource
from kgen.recipes.gan import CDCGANFashionMNIST, DCGANFashionMNIST
from kgen.recipes.image_recipe import ImageRecipe
from kgen.recipes.pixelcnn import PixelCNNFashionMNIST
from kgen.recipes.rl import (
    DQNAcrobot,
    DQNCartPole,
    ModelBasedCartPole,
    ModelBasedPendulum,
    ReinforceCartPole,
)
from kgen.recipes.vae import VAEFashionMNIST

RECIPES = {
    recipe.preset: recipe
    for recipe in (
        FashionMNISTClassifier,
        VAEFashionMNIST,
        PixelCNNFashionMNIST,
        DCGANFashionMNIST,
        CDCGANFashionMNIST,
        DQNCartPole,
        DQNAcrobot,
        ReinforceCartPole,
        ModelBasedCartPole,
        ModelBasedPendulum,
    )
}
"""Registered preset name -> the recipe class that trains it (its defaults are the preset's)."""


def families():
    """The recipes by family.

    Returns:
        dict of `kgen train FAMILY` -> the recipe classes of that family, in registry order.

    Examples:
        >>> [recipe.__name__ for recipe in kgen.recipes.families()["dqn"]]
        ['DQNCartPole', 'DQNAcrobot']
    """
    table = {}
    for recipe in RECIPES.values():
        table.setdefault(recipe.family, []).append(recipe)
    return table


def recipe_class(family, env_id=None):
    """The recipe class `kgen train FAMILY [--env ENV]` runs.

    Args:
        family: str, e.g. "vae" or "dqn".
        env_id: optional str, the environment of an RL family (default: the family's first recipe).

    Returns:
        A `Recipe` subclass.

    Examples:
        >>> kgen.recipes.recipe_class("dqn", "Acrobot-v1").preset
        'dqn_acrobot'
    """
    table = families()
    if family not in table:
        fail("family", family, "one of " + ", ".join(table))
    candidates = table[family]
    if env_id is None:
        return candidates[0]
    for recipe in candidates:
        if getattr(recipe, "env_id", None) == env_id:
            return recipe
    known = ", ".join(getattr(recipe, "env_id", "?") for recipe in candidates)
    fail("env", env_id, f"an environment with a {family} recipe ({known})")


def recipe_by_name(name):
    """The recipe class named `name` (as a preset's metadata records it).

    Args:
        name: str, a class name such as "VAEFashionMNIST".

    Returns:
        A `Recipe` subclass.

    Examples:
        >>> kgen.recipes.recipe_by_name("VAEFashionMNIST").preset
        'vae_fashion_mnist'
        >>> metadata = kgen.presets.read_metadata(kgen.presets.resolve("dqn_cartpole"))
        >>> kgen.recipes.recipe_by_name(metadata["recipe"]["name"]).family   # the recipe that trained a preset
        'dqn'
    """
    for recipe in RECIPES.values():
        if recipe.__name__ == name:
            return recipe
    fail("recipe", name, "one of " + ", ".join(recipe.__name__ for recipe in RECIPES.values()))


__all__ = [
    "CDCGANFashionMNIST",
    "DCGANFashionMNIST",
    "DQNAcrobot",
    "DQNCartPole",
    "FashionMNISTClassifier",
    "ImageData",
    "ImageRecipe",
    "ImageSource",
    "ModelBasedCartPole",
    "ModelBasedPendulum",
    "PixelCNNFashionMNIST",
    "RECIPES",
    "ReinforceCartPole",
    "Recipe",
    "VAEFashionMNIST",
    "families",
    "recipe_by_name",
    "recipe_class",
]
