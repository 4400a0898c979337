/*
 * cosine_embedding_loss.cu: the cosine embedding loss on CUDA. The kernel body is the portable one in
 * kernels-cl/cosine_embedding_loss.cl (OpenCL C and CUDA C through loss_terms.h's macros), so the
 * math and the argument order are those tested on PoCL; the loss's partial sums use reduce.h's
 * warp-shuffle group_sum here, the rows' segmented sums pairwise_rows.h's shared-memory tree.
 */
#include "cosine_embedding_loss.cl"
