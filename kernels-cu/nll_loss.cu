/*
 * nll_loss.cu: NLLLoss on CUDA. The kernel (nll_loss_forward_backward: one thread per target
 * position, loss or per-block partial sums and the gradient in one launch) is the portable one in
 * kernels-cl/nll_loss.cl, so the math and the argument order are those tested on PoCL.
 */
#include "nll_loss.cl"
