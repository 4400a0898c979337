/* reduce.cu: the fixed-order epilogue and broadcast-gradient kernels on CUDA (body in kernels-cl/reduce.cl). */
#include "reduce.cl"
