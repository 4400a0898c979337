/* emulator.h: what the kernel table (kernels.cpp, selftest.cpp) tells driver.cpp about each kernel. */
#ifndef JLOSS_EMULATOR_H
#define JLOSS_EMULATOR_H
#include <cstddef>
#include <type_traits>
#include <utility>

#define JL_MAX_PARAMS 32
struct jl_kernel_entry {
    const char *name;
    void *fn;
    void (*invoke)(void *fn, void **params); /* calls fn with cuLaunchKernel's parameter pointers */
    int nparams;
    bool param_is_pointer[JL_MAX_PARAMS]; /* checked against the live allocations before a launch */
};
extern "C" const jl_kernel_entry jl_kernels[];
extern "C" const int jl_kernel_count;

template <class... A, std::size_t... I>
void jl_call_kernel(void (*f)(A...), void **params, std::index_sequence<I...>) {
    f(*static_cast<std::remove_cv_t<A> *>(params[I])...);
}

/* The table entry of kernel f: its parameter types come from its C++ signature. */
template <class... A> jl_kernel_entry jl_entry(const char *name, void (*f)(A...)) {
    static_assert(sizeof...(A) <= JL_MAX_PARAMS, "too many kernel parameters");
    jl_kernel_entry e{};
    e.name = name;
    e.fn = reinterpret_cast<void *>(f);
    e.invoke = [](void *fn, void **params) {
        jl_call_kernel(reinterpret_cast<void (*)(A...)>(fn), params, std::index_sequence_for<A...>{});
    };
    e.nparams = sizeof...(A);
    int i = 0;
    ((e.param_is_pointer[i++] = std::is_pointer<A>::value), ...);
    return e;
}
#endif
