/*
 * multilabel_soft_margin_loss.cu: MultiLabelSoftMarginLoss on CUDA. The kernel body is the portable
 * one in kernels-cl/multilabel_soft_margin_loss.cl (OpenCL C and CUDA C through loss_terms.h's
 * macros), so the math and the argument order are those tested on PoCL; its row sums use reduce.h's
 * warp-shuffle path here.
 */
#include "multilabel_soft_margin_loss.cl"
