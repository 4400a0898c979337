/*
 * ctc_loss.cu: the CTC loss and its gradient on CUDA. The kernels (ctc_loss_offsets,
 * ctc_loss_forward_backward: one block per sample, alpha/beta in log space, a barrier per time step,
 * the gradient collected in a fixed order) are the portable ones in kernels-cl/ctc_loss.cl, so the
 * math and the argument order are those tested on PoCL; the blank's work-group logsumexp uses
 * reduce.h's warp-shuffle path here.
 */
#include "ctc_loss.cl"
