"""A grid world drawn: V as a heat map, pi as arrows, Q as triangles (matplotlib)."""

import numpy as np

from kgen.viz.figures import pyplot, save_figure


def gridworld(world, values, policy=None, q=None, path="gridworld.png", title=""):
    """Draw a `kgen.rl.mdp.GridWorld`: V as a heat map with its numbers, pi as arrows, and
    optionally Q as four triangles per cell (up, right, down, left), side by side.

    Args:
        world: GridWorld.
        values: array (S,), e.g. V*.
        policy: optional int array (S,), drawn as arrows on the V panel.
        q: optional array (S, 4), drawn as a second panel.
        path: str, the PNG to write.
        title: str.

    Returns:
        The path written.

    Examples:
        >>> world = kgen.rl.GridWorld(["S..", ".#.", "..G"])
        >>> values, policy = kgen.rl.mdp.value_iteration(world.mdp)
        >>> kgen.plot.gridworld(world, values, policy, path="gridworld.png", title="V* and pi*")
        'gridworld.png'
    """
    plt = pyplot("Drawing a grid world")
    import matplotlib
    from matplotlib.patches import Polygon

    rows, cols = world.shape
    panels = 2 if q is not None else 1
    figure, axes = plt.subplots(1, panels, figsize=(1.1 * cols * panels + 1, 1.1 * rows + 0.6), dpi=100, squeeze=False)
    finite = np.asarray(values)[~world.mdp.terminal] if np.any(~world.mdp.terminal) else np.asarray(values)
    norm = matplotlib.colors.Normalize(vmin=min(finite.min(), 0), vmax=max(finite.max(), 1e-9))
    cmap = plt.get_cmap("viridis")
    arrows = {0: (0, -0.3), 1: (0.3, 0), 2: (0, 0.3), 3: (-0.3, 0)}
    for k, ax in enumerate(axes[0]):
        for r in range(rows):
            for c in range(cols):
                ch = world.layout[r][c]
                if ch == "#":
                    ax.add_patch(plt.Rectangle((c - 0.5, r - 0.5), 1, 1, color="0.2"))
        for s, (r, c) in enumerate(world.cells):
            kind = world.layout[r][c]
            if world.mdp.terminal[s]:
                ax.add_patch(plt.Rectangle((c - 0.5, r - 0.5), 1, 1, color="tab:green" if kind == "G" else "tab:red"))
                ax.text(c, r, "goal" if kind == "G" else "pit", ha="center", va="center", color="white", fontsize=9)
                continue
            if k == 0:
                ax.add_patch(plt.Rectangle((c - 0.5, r - 0.5), 1, 1, color=cmap(norm(values[s]))))
                ax.text(c, r + 0.3, f"{values[s]:.2f}", ha="center", va="center", fontsize=8, color="white")
                if policy is not None:
                    dx, dy = arrows[int(policy[s])]
                    ax.arrow(c - dx / 2, r - dy / 2 - 0.08, dx, dy, head_width=0.15, color="white", length_includes_head=True)
            else:
                corners = [(c - 0.5, r - 0.5), (c + 0.5, r - 0.5), (c + 0.5, r + 0.5), (c - 0.5, r + 0.5)]
                for a, (i, j) in enumerate(((0, 1), (1, 2), (2, 3), (3, 0))):
                    ax.add_patch(Polygon([corners[i], corners[j], (c, r)], color=cmap(norm(q[s, a])), ec="white", lw=0.5))
                    tx, ty = arrows[a]
                    ax.text(c + tx, r + ty, f"{q[s, a]:.2f}", ha="center", va="center", fontsize=6, color="white")
        ax.set_xlim(-0.5, cols - 0.5)
        ax.set_ylim(rows - 0.5, -0.5)
        ax.set_aspect("equal")
        ax.set_xticks([])
        ax.set_yticks([])
        ax.set_title(("V and pi" if k == 0 else "Q(s, a)") + (f": {title}" if title else ""), fontsize=9)
    return save_figure(figure, path)
