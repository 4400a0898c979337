/*
 * multi_margin_loss.cu: MultiMarginLoss on CUDA. The kernel body is the portable one in
 * kernels-cl/multi_margin_loss.cl (OpenCL C and CUDA C through loss_terms.h's macros), so the math
 * and the argument order are those tested on PoCL; its row sums use reduce.h's warp-shuffle path here.
 */
#include "multi_margin_loss.cl"
