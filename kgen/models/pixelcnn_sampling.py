"""The PixelCNN's two samplers, which draw the same images from the same uniforms.

`naive_sample` runs the whole network once per pixel. `cached_sample` keeps, for
every block, the inputs its convolutions will read again: the last rows of the
vertical stack's input and the current row of the horizontal stack's input. At the
start of a row it computes every block's vertical stack for that row (one row-sized
convolution per block); at each pixel it updates only that pixel of every block's
horizontal stack and of the head. Each pixel then costs a few vector-matrix products
per block instead of a full forward pass (Ramachandran et al. 2017).

Both take the canvas (n, h, w, c) with the `known` (n, h, w) pixels filled in (kept,
never sampled), the uniforms (n, h, w, c) each pixel's value is drawn with, and the
labels (or None), and return the images.
"""

import tensorflow as tf

from kgen.models.pixelcnn_layers import gate


@tf.function
def naive_sample(model, canvas, known, noise, labels):
    """A full forward pass per pixel, in raster order; one traced loop."""
    height, width = canvas.shape[1], canvas.shape[2]
    rows, cols = tf.range(height)[:, None], tf.range(width)[None, :]

    def body(t, images):
        i, j = t // width, t % width
        logits = model.network(images, labels)[:, i, j]
        value = tf.where(known[:, i, j, None], canvas[:, i, j], model.pixel_values(logits, noise[:, i, j]))
        here = ((rows == i) & (cols == j))[None, :, :, None]
        return t + 1, tf.where(here, value[:, None, None, :], images)

    _, images = tf.while_loop(lambda t, _: t < height * width, body, (tf.constant(0), canvas))
    return images


def _rows(buffer, start, count):
    """`count` consecutive entries of `buffer`'s first axis from `start` (a static size, as XLA needs)."""
    return tf.slice(buffer, tf.concat([[start], tf.zeros([buffer.shape.rank - 1], tf.int32)], 0),
                    [count] + buffer.shape[1:].as_list())


def _update(buffer, index, value):
    """`buffer` with row `index` of its first axis replaced by `value`."""
    return tf.tensor_scatter_nd_update(buffer, [[index]], value[None])


@tf.function(jit_compile=True)
def cached_sample(model, canvas, known, noise, labels):
    """Row-cached vertical stacks and pixel-cached horizontal stacks; one compiled loop."""
    n, height, width, channels = canvas.shape
    dtype = model.compute_dtype
    blocks = model.blocks
    inputs = [channels] + [model.filters] * (len(blocks) - 1)
    v_kernels = [tf.cast(block.vertical.cropped_kernel(), dtype) for block in blocks]
    h_kernels = [tf.cast(block.horizontal.cropped_kernel()[0], dtype) for block in blocks]
    v_top = [block.vertical.offset[0] for block in blocks]
    v_left = [block.vertical.offset[1] for block in blocks]
    h_left = [block.horizontal.offset[1] for block in blocks]
    v_bias, h_bias = zip(*(block.class_biases(labels, dtype) for block in blocks))

    def vertical_rows(i, v_canvases):
        """Every block's vertical pre-activation for row i, (n, w, 2f), and the canvases with row i added."""
        v_canvases = list(v_canvases)
        pre_rows = []
        for b, block in enumerate(blocks):
            window = tf.transpose(_rows(v_canvases[b], i, v_kernels[b].shape[0]), [1, 0, 2, 3])
            pre = tf.nn.conv2d(window, v_kernels[b], 1, "VALID")[:, 0] + tf.cast(block.vertical.bias, dtype)
            pre_rows.append(pre)
            if b + 1 < len(blocks):
                out = tf.pad(gate(pre + v_bias[b][:, None]), [[0, 0], [v_left[b + 1]] * 2, [0, 0]])
                v_canvases[b + 1] = _update(v_canvases[b + 1], i + v_top[b + 1], out)
        return pre_rows, tuple(v_canvases)

    def row(i, images, v_canvases):
        pre_rows, v_canvases = vertical_rows(i, v_canvases)

        def pixel(j, h_buffers, values):
            h_buffers = list(h_buffers)
            h, skip = None, 0.0
            for b, block in enumerate(blocks):
                if b > 0:
                    h_buffers[b] = _update(h_buffers[b], j + h_left[b], h)
                window = _rows(h_buffers[b], j, h_kernels[b].shape[0])
                h_pre = tf.einsum("kni,kio->no", window, h_kernels[b]) + tf.cast(block.horizontal.bias, dtype)
                h, block_skip = block.horizontal_step(h_pre, pre_rows[b][:, j], h, h_bias[b])
                skip = skip + block_skip
            logits = tf.cast(model.head(skip), tf.float32)
            value = tf.where(known[:, i, j, None], canvas[:, i, j], model.pixel_values(logits, noise[:, i, j]))
            h_buffers[0] = _update(h_buffers[0], j + h_left[0], tf.cast(value, dtype))
            return j + 1, tuple(h_buffers), _update(values, j, value)

        h_buffers = tuple(tf.zeros([width + h_left[b], n, inputs[b]], dtype) for b in range(len(blocks)))
        _, _, values = tf.while_loop(lambda j, *_: j < width, pixel,
                                     (tf.constant(0), h_buffers, tf.zeros([width, n, channels])))
        values = tf.transpose(values, [1, 0, 2])  # (n, w, c)
        padded = tf.pad(tf.cast(values, dtype), [[0, 0], [v_left[0]] * 2, [0, 0]])
        v_canvases = (_update(v_canvases[0], i + v_top[0], padded),) + v_canvases[1:]
        return i + 1, _update(images, i, values), v_canvases

    v_canvases = tuple(tf.zeros([height + v_top[b], n, width + 2 * v_left[b], inputs[b]], dtype)
                       for b in range(len(blocks)))
    _, images, _ = tf.while_loop(lambda i, *_: i < height, row,
                                 (tf.constant(0), tf.zeros([height, n, width, channels]), v_canvases))
    return tf.transpose(images, [1, 0, 2, 3])
