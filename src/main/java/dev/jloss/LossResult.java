package dev.jloss;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * What a fused {@link Loss#forwardBackward} call returns: the loss (a 0-d tensor when reduced, the
 * per-element values for {@code reduction=none}) and the gradient of the loss with respect to each
 * differentiable argument, keyed by PyTorch's parameter name ({@code input}, {@code log_probs}, ...).
 */
public final class LossResult implements AutoCloseable {
    private final Tensor loss;
    private final Map<String, Tensor> gradients;

    public LossResult(Tensor loss, Map<String, Tensor> gradients) {
        this.loss = loss;
        this.gradients = Collections.unmodifiableMap(new LinkedHashMap<>(gradients));
    }

    /** The loss; {@code null} for a result of {@link Loss#backward} alone. */
    public Tensor loss() {
        return loss;
    }

    /** The gradient with respect to the argument PyTorch calls {@code name}. */
    public Tensor grad(String name) {
        Tensor g = gradients.get(name);
        if (g == null) {
            throw new LossArgumentException("loss result: no gradient for '" + name + "', have " + gradients.keySet());
        }
        return g;
    }

    /** All gradients, in the loss's argument order. */
    public Map<String, Tensor> gradients() {
        return gradients;
    }

    @Override
    public void close() {
        if (loss != null) {
            loss.close();
        }
        gradients.values().forEach(Tensor::close);
    }
}
