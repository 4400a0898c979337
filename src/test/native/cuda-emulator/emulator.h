/* emulator.h: what kernels.cpp tells driver.cpp about each kernel. */
#ifndef JLOSS_EMULATOR_H
#define JLOSS_EMULATOR_H
#define JL_MAX_PARAMS 32
struct jl_kernel_entry {
    const char *name;
    void *fn;
    void (*invoke)(void *fn, void **params);
    int nparams;
    unsigned char param_size[JL_MAX_PARAMS];
    bool param_is_pointer[JL_MAX_PARAMS];
};
extern "C" const jl_kernel_entry jl_kernels[];
extern "C" const int jl_kernel_count;
#endif
