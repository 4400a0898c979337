/*
 * triplet_margin_loss.cu: both triplet losses (family triplet_margin_loss) on CUDA. The kernel body
 * is the portable one in kernels-cl/triplet_margin_loss.cl (OpenCL C and CUDA C through
 * loss_terms.h's macros), so the math and the argument order are those tested on PoCL; the loss's
 * partial sums use reduce.h's warp-shuffle group_sum here, the rows' segmented sums
 * pairwise_rows.h's shared-memory tree.
 */
#include "triplet_margin_loss.cl"
