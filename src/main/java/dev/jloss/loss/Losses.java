package dev.jloss.loss;

import dev.jloss.Loss;
import dev.jloss.LossArgumentException;
import java.lang.reflect.InvocationTargetException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Every loss jloss has, by PyTorch's class name ({@code CrossEntropyLoss}) or functional name
 * ({@code cross_entropy}), case-insensitive; built from an option map with PyTorch's constructor
 * names. Each loss class {@code dev.jloss.loss.X} has a static {@code fromOptions(Options)}.
 */
public final class Losses {
    /** PyTorch class name → functional name, in the seed article's order, then PyTorch 2.x's. */
    private static final Map<String, String> NAMES = new LinkedHashMap<>();

    static {
        NAMES.put("L1Loss", "l1_loss");
        NAMES.put("MSELoss", "mse_loss");
        NAMES.put("CrossEntropyLoss", "cross_entropy");
        NAMES.put("NLLLoss", "nll_loss");
        NAMES.put("PoissonNLLLoss", "poisson_nll_loss");
        NAMES.put("KLDivLoss", "kl_div");
        NAMES.put("BCELoss", "binary_cross_entropy");
        NAMES.put("BCEWithLogitsLoss", "binary_cross_entropy_with_logits");
        NAMES.put("MarginRankingLoss", "margin_ranking_loss");
        NAMES.put("HingeEmbeddingLoss", "hinge_embedding_loss");
        NAMES.put("MultiLabelMarginLoss", "multilabel_margin_loss");
        NAMES.put("SmoothL1Loss", "smooth_l1_loss");
        NAMES.put("SoftMarginLoss", "soft_margin_loss");
        NAMES.put("MultiLabelSoftMarginLoss", "multilabel_soft_margin_loss");
        NAMES.put("CosineEmbeddingLoss", "cosine_embedding_loss");
        NAMES.put("MultiMarginLoss", "multi_margin_loss");
        NAMES.put("TripletMarginLoss", "triplet_margin_loss");
        NAMES.put("CTCLoss", "ctc_loss");
        NAMES.put("HuberLoss", "huber_loss");
        NAMES.put("GaussianNLLLoss", "gaussian_nll_loss");
        NAMES.put("TripletMarginWithDistanceLoss", "triplet_margin_with_distance_loss");
    }

    private Losses() {
    }

    /** PyTorch class names of every loss, in a stable order. */
    public static List<String> classNames() {
        return new ArrayList<>(NAMES.keySet());
    }

    /** The PyTorch class name for a class or functional name (any case), or throws. */
    public static String className(String name) {
        if (name != null) {
            for (Map.Entry<String, String> e : NAMES.entrySet()) {
                if (e.getKey().equalsIgnoreCase(name) || e.getValue().equalsIgnoreCase(name)) {
                    return e.getKey();
                }
            }
        }
        throw new LossArgumentException("unknown loss '" + name + "', expected one of " + String.join(", ", NAMES.keySet()));
    }

    /** The functional name ({@code cross_entropy}) for a class or functional name. */
    public static String functionalName(String name) {
        return NAMES.get(className(name));
    }

    /** Builds the loss {@code name} from options keyed by PyTorch's constructor names. */
    public static Loss create(String name, Map<String, ?> options) {
        String cls = className(name);
        Options o = new Options(NAMES.get(cls), options);
        Loss loss;
        try {
            loss = (Loss) Class.forName(Losses.class.getPackageName() + "." + cls)
                    .getMethod("fromOptions", Options.class).invoke(null, o);
        } catch (InvocationTargetException e) {
            if (e.getCause() instanceof RuntimeException re) {
                throw re;
            }
            throw new IllegalStateException("internal error building " + cls, e.getCause());
        } catch (ReflectiveOperationException e) {
            throw new IllegalStateException("internal error: loss class " + cls + " has no fromOptions(Options)", e);
        }
        o.finish();
        return loss;
    }

}
