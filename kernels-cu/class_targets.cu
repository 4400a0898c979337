/*
 * class_targets.cu: the class-index mean's denominator (class_targets_weight_sum) on CUDA; the body is
 * the portable one in kernels-cl/class_targets.cl, the one tested on PoCL.
 */
#include "class_targets.cl"
