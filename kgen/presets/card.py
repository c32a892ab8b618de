"""A preset's model card (its README.md): Hub front matter, use, training, scores, pictures, files."""

WEIGHTS_FILE = "model.weights.h5"


def public_class_path(cls):
    """How users reach a class: kgen.models.<family>.VAE -> "kgen.models.VAE"."""
    return f"{cls.__module__.rsplit('.', 1)[0]}.{cls.__name__}"


def card_text(model, metadata, title, description=None, training=None, command=None, datasets=(), tags=(),
              images=None, sections=None):
    """The model card of `model` saved with `metadata` (the preset's parsed metadata.json).

    Scores come from `metadata["metrics"]` and the hyperparameters table from
    `metadata["recipe"]`, so the card and the metadata cannot disagree.
    """
    metrics = metadata.get("metrics", {})
    front = ["---", "library_name: keras", "tags:"]
    front += [f"- {tag}" for tag in ["kgen", "keras", *tags]]
    if datasets:
        front += ["datasets:"] + [f"- {name}" for name in datasets]
    if metrics:
        front += ["metrics:"] + [f"- {name}" for name in metrics]
    front.append("---")
    body = [
        f"# {title}",
        "",
        description or f"A kgen `{type(model).__name__}` preset.",
        "",
        "## Use",
        "",
        "```python",
        "import kgen",
        f'model = {public_class_path(type(model))}.from_preset("{title}")',
        "```",
        "",
        "## Training",
        "",
        training or "Not stated.",
    ]
    if command:
        body += ["", "Reproduce with:", "", "```bash", command, "```"]
    recipe = metadata.get("recipe")
    if recipe:
        body += ["", "## Hyperparameters", "", f"The `{recipe['name']}` recipe (`kgen.recipes`):", "",
                 "| name | value |", "| --- | --- |"]
        body += [f"| {name} | {value!r} |" for name, value in recipe["hyperparameters"].items()]
    if metrics:
        body += ["", "## Scores", "", "| metric | value |", "| --- | --- |"]
        body += [f"| {name} | {value} |" for name, value in metrics.items()]
    for heading, text in (sections or {}).items():
        body += ["", f"## {heading}", "", text]
    if images:
        body += ["", "## Pictures", ""] + [f"![{alt}]({path})" for alt, path in images.items()]
    body += [
        "",
        "## Files",
        "",
        f"`{WEIGHTS_FILE}` sha256 `{metadata['weights_sha256']}`; "
        f"{metadata['parameter_count']:,} parameters; kgen {metadata['kgen_version']}, "
        f"Keras {metadata['keras_version']}.",
        "",
    ]
    return "\n".join(front + [""] + body)
