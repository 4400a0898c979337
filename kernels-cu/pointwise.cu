/*
 * pointwise.cu: the element-wise losses on CUDA. The kernel body is the portable one in
 * kernels-cl/pointwise.cl (OpenCL C and CUDA C through loss_terms.h's macros), so the math and the
 * argument order are those tested on PoCL; reductions use reduce.h's warp-shuffle path here.
 */
#include "pointwise.cl"
