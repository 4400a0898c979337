/*
 * cross_entropy.cu: CrossEntropyLoss on CUDA. The kernel (cross_entropy_forward_backward: one block
 * per wide row or one thread per position, an online max/logsumexp sweep, the gradient written in the
 * same launch) is the portable one in kernels-cl/cross_entropy.cl, so the math and the argument order
 * are those tested on PoCL; the row reductions use reduce.h's warp-shuffle path here.
 */
#include "cross_entropy.cl"
