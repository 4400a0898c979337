/*
 * driver.cpp: a test-only libcuda.so.1 that runs jloss's CUDA kernels on the CPU.
 *
 * It implements the part of the CUDA driver API that dev.jloss.backend.cuda.CudaBackend calls
 * through JCuda (context, stream, module, memory, launch), so the real backend, JCuda's real
 * native and the kernels-cu/ sources in their CUDA dialect (warp shuffles, __syncthreads, the
 * extern "C" names, the parameter layout JCuda marshals) run on a machine without a GPU. Each CUDA
 * thread is a fiber (x86-64 only); blocks run one after another, each thread up to its next
 * barrier, in thread order in one block and in reverse order in the next (and the next launch
 * the other way round), so a missing barrier shows as a wrong or run-to-run different result. What a GPU would do silently wrong, this says
 * loudly (on stderr, and as a CUDA error code the backend turns into an exception):
 *   - a copy, memset or kernel pointer argument outside every live allocation;
 *   - a kernel writing past either end of an allocation (guard bytes checked after each launch);
 *   - a __syncthreads or warp shuffle that not every thread reaches (divergent barrier);
 *   - a free of an unknown pointer, a call without a current context, an unknown kernel name,
 *     or a kernel name the module's fatbin image does not contain.
 * New allocations are filled with 0xFF bytes (NaN as float, -1 as int), as a real device gives
 * garbage. It does not model the GPU's memory model, timing or libdevice's last-bit rounding.
 *
 * Tunables: JLOSS_CUDA_EMULATOR_MEMORY (bytes the device reports, default 16 GiB).
 */
#include "emulator.h"

#include <cstdarg>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <set>
#include <string>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

typedef int CUresult;
typedef int CUdevice;
typedef unsigned long long CUdeviceptr;
typedef struct jl_ctx *CUcontext;
typedef struct jl_module *CUmodule;
typedef const jl_kernel_entry *CUfunction;
typedef struct jl_stream *CUstream;

enum {
    CUDA_SUCCESS = 0,
    CUDA_ERROR_INVALID_VALUE = 1,
    CUDA_ERROR_OUT_OF_MEMORY = 2,
    CUDA_ERROR_NOT_INITIALIZED = 3,
    CUDA_ERROR_INVALID_DEVICE = 101,
    CUDA_ERROR_INVALID_IMAGE = 200,
    CUDA_ERROR_INVALID_CONTEXT = 201,
    CUDA_ERROR_INVALID_HANDLE = 400,
    CUDA_ERROR_NOT_FOUND = 500,
    CUDA_ERROR_ILLEGAL_ADDRESS = 700,
    CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES = 701,
    CUDA_ERROR_LAUNCH_FAILED = 719,
    CUDA_ERROR_NOT_SUPPORTED = 801,
};

struct jl_ctx { int refs; };
struct jl_stream { int unused; };
struct jl_module { std::vector<unsigned char> image; };

struct jl_dim3 { unsigned int x, y, z; };
extern "C" {
jl_dim3 threadIdx, blockIdx, blockDim, gridDim;
}

namespace {

const int SM_COUNT = 4;
const size_t GUARD = 256;
const unsigned char GUARD_BYTE = 0xA5;
const size_t FIBER_STACK = 256 * 1024;
const int MAX_THREADS = 1024;

std::mutex api;
bool initialised;
thread_local CUcontext current;
jl_ctx primary;

struct Allocation {
    unsigned char *raw;
    size_t size;
};
std::map<CUdeviceptr, Allocation> live; // by the address the caller sees
size_t used;
std::set<jl_stream *> streams;
std::set<jl_module *> modules;

void say(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void say(const char *fmt, ...) {
    va_list ap;
    va_start(ap, fmt);
    std::fprintf(stderr, "[cuda-emulator] ");
    std::vfprintf(stderr, fmt, ap);
    std::fprintf(stderr, "\n");
    va_end(ap);
}

size_t total_memory() {
    const char *v = std::getenv("JLOSS_CUDA_EMULATOR_MEMORY");
    return v ? std::strtoull(v, nullptr, 10) : (size_t) 16 << 30;
}

/* The live allocation holding [p, p + bytes), or null. */
const Allocation *holding(CUdeviceptr p, size_t bytes, CUdeviceptr *base) {
    auto it = live.upper_bound(p);
    if (it == live.begin()) return nullptr;
    --it;
    if (p - it->first > it->second.size || bytes > it->second.size - (p - it->first)) return nullptr;
    *base = it->first;
    return &it->second;
}

bool guards_intact(const Allocation &a) {
    for (size_t i = 0; i < GUARD; i++) {
        if (a.raw[i] != GUARD_BYTE || a.raw[GUARD + a.size + i] != GUARD_BYTE) return false;
    }
    return true;
}

CUresult check_range(const char *what, CUdeviceptr p, size_t bytes) {
    CUdeviceptr base;
    if (!holding(p, bytes, &base)) {
        say("%s: [0x%llx, +%zu bytes) is not inside one live allocation", what, p, bytes);
        return CUDA_ERROR_INVALID_VALUE;
    }
    return CUDA_SUCCESS;
}

#define NEED_CONTEXT()                                                                 \
    do {                                                                               \
        if (!initialised) return CUDA_ERROR_NOT_INITIALIZED;                           \
        if (current != &primary || primary.refs == 0) {                                \
            say("%s called without a current context", __func__);                     \
            return CUDA_ERROR_INVALID_CONTEXT;                                         \
        }                                                                              \
    } while (0)

CUresult check_stream(CUstream s) {
    if (s != nullptr && !streams.count(s)) {
        say("unknown stream %p", (void *) s);
        return CUDA_ERROR_INVALID_HANDLE;
    }
    return CUDA_SUCCESS;
}

/* ---- fibers: one per CUDA thread of the running block ---- */

/*
 * jl_switch(save, to): saves the callee-saved registers on the current stack, stores the stack
 * pointer in *save and resumes the stack `to` (x86-64 System V). No signal-mask syscall, unlike
 * swapcontext, which made the emulator spend half its time in the kernel.
 */
extern "C" void jl_switch(void **save, void *to);
asm(R"(
    .text
    .globl jl_switch
    .type jl_switch, @function
jl_switch:
    pushq %rbp
    pushq %rbx
    pushq %r12
    pushq %r13
    pushq %r14
    pushq %r15
    movq %rsp, (%rdi)
    movq %rsi, %rsp
    popq %r15
    popq %r14
    popq %r13
    popq %r12
    popq %rbx
    popq %rbp
    ret
    .size jl_switch, .-jl_switch
)");

enum FiberState { RUNNABLE, AT_SYNCTHREADS, AT_WARP, DONE };
struct Fiber {
    void *sp;
    FiberState state;
};
void *scheduler_sp;
std::vector<Fiber> fibers(MAX_THREADS);
unsigned char *stacks; // MAX_THREADS stacks of FIBER_STACK bytes, each above a PROT_NONE page
size_t page;
int running;       // the fiber now running
int block_threads; // threads in the block
int at_syncthreads;
int at_warp[MAX_THREADS / 32];
uint64_t shuffle_slots[MAX_THREADS];
const jl_kernel_entry *launching;
void **launch_params;
bool launch_failed;
unsigned long long launches;

[[noreturn]] void fiber_main() {
    launching->invoke(launching->fn, launch_params);
    fibers[running].state = DONE;
    void *dead;
    jl_switch(&dead, scheduler_sp);
    __builtin_unreachable();
}

void *fiber_stack_top(int i) {
    return stacks + (size_t) i * (FIBER_STACK + page) + page + FIBER_STACK;
}

/* A fresh stack whose first jl_switch "returns" into fiber_main with the ABI's alignment. */
void *fresh_fiber(int i) {
    void **sp = static_cast<void **>(fiber_stack_top(i)) - 8; // 16-byte aligned
    for (int k = 0; k < 6; k++) sp[k] = nullptr;              // r15 r14 r13 r12 rbx rbp
    sp[6] = reinterpret_cast<void *>(&fiber_main);            // jl_switch's ret
    sp[7] = nullptr;                                          // fiber_main's return address: none
    return sp;
}

void yield() {
    jl_switch(&fibers[running].sp, scheduler_sp);
}

void warp_barrier() {
    int warp = running >> 5;
    int expected = block_threads - warp * 32 < 32 ? block_threads - warp * 32 : 32;
    fibers[running].state = AT_WARP;
    if (++at_warp[warp] == expected) {
        at_warp[warp] = 0;
        for (int i = warp * 32; i < warp * 32 + expected; i++) fibers[i].state = RUNNABLE;
        return; // the last to arrive goes on
    }
    yield();
}

/*
 * Runs one block to completion; false (said why) if its threads cannot all finish. Each thread runs
 * until it blocks at a barrier, in thread order or (reverse) the opposite: a read of another
 * thread's write with no barrier between them sees the write in one order and not in the other,
 * so alternating orders turns a missing barrier into a wrong or nondeterministic result.
 */
bool run_block(bool reverse) {
    for (int i = 0; i < block_threads; i++) {
        fibers[i].sp = fresh_fiber(i);
        fibers[i].state = RUNNABLE;
    }
    at_syncthreads = 0;
    for (int w = 0; w < MAX_THREADS / 32; w++) at_warp[w] = 0;
    int done = 0;
    while (done < block_threads) {
        bool progressed = false;
        for (int k = 0; k < block_threads; k++) {
            int i = reverse ? block_threads - 1 - k : k;
            if (fibers[i].state != RUNNABLE) continue;
            running = i;
            threadIdx = {(unsigned) i, 0, 0};
            jl_switch(&scheduler_sp, fibers[i].sp);
            progressed = true;
            if (fibers[i].state == DONE) done++;
        }
        if (!progressed) {
            int sync = 0, warp = 0, exited = 0;
            for (int i = 0; i < block_threads; i++) {
                sync += fibers[i].state == AT_SYNCTHREADS;
                warp += fibers[i].state == AT_WARP;
                exited += fibers[i].state == DONE;
            }
            say("kernel %s, block %u: divergent barrier: %d threads wait at __syncthreads, %d at a warp "
                "shuffle, %d have returned (of %d)", launching->name, blockIdx.x, sync, warp, exited, block_threads);
            return false;
        }
    }
    return true;
}

} // namespace

extern "C" {

void jl_emu_syncthreads(void) {
    fibers[running].state = AT_SYNCTHREADS;
    if (++at_syncthreads == block_threads) {
        at_syncthreads = 0;
        for (int i = 0; i < block_threads; i++) fibers[i].state = RUNNABLE;
        return;
    }
    yield();
}

uint64_t jl_emu_shfl_down(unsigned int mask, uint64_t v, unsigned int delta) {
    if (mask != 0xffffffffu) {
        say("kernel %s: __shfl_down_sync with a partial mask (0x%x) is not emulated", launching->name, mask);
        launch_failed = true;
    }
    int lane = running & 31;
    shuffle_slots[running] = v;
    warp_barrier();
    int from = running + (int) delta;
    uint64_t r = lane + (int) delta < 32 && from < block_threads ? shuffle_slots[from] : v;
    warp_barrier();
    return r;
}

CUresult cuInit(unsigned int flags) {
    std::lock_guard<std::mutex> g(api);
    if (flags != 0) return CUDA_ERROR_INVALID_VALUE;
    if (!initialised) {
        page = (size_t) sysconf(_SC_PAGESIZE);
        size_t bytes = (FIBER_STACK + page) * MAX_THREADS;
        void *m = mmap(nullptr, bytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
        if (m == MAP_FAILED) return CUDA_ERROR_OUT_OF_MEMORY;
        stacks = static_cast<unsigned char *>(m);
        for (int i = 0; i < MAX_THREADS; i++) {
            mprotect(stacks + (size_t) i * (FIBER_STACK + page), page, PROT_NONE); // a stack overflow faults
        }
        initialised = true;
        say("CUDA driver emulator: kernels run on the CPU, for tests only (%d kernels)", jl_kernel_count);
    }
    return CUDA_SUCCESS;
}

CUresult cuDriverGetVersion(int *v) {
    if (!v) return CUDA_ERROR_INVALID_VALUE;
    *v = 13000;
    return CUDA_SUCCESS;
}

CUresult cuDeviceGetCount(int *n) {
    if (!initialised) return CUDA_ERROR_NOT_INITIALIZED;
    if (!n) return CUDA_ERROR_INVALID_VALUE;
    *n = 1;
    return CUDA_SUCCESS;
}

CUresult cuDeviceGet(CUdevice *d, int ordinal) {
    if (!initialised) return CUDA_ERROR_NOT_INITIALIZED;
    if (!d) return CUDA_ERROR_INVALID_VALUE;
    if (ordinal != 0) return CUDA_ERROR_INVALID_DEVICE;
    *d = 0;
    return CUDA_SUCCESS;
}

CUresult cuDeviceGetName(char *name, int len, CUdevice d) {
    if (!initialised) return CUDA_ERROR_NOT_INITIALIZED;
    if (d != 0) return CUDA_ERROR_INVALID_DEVICE;
    if (!name || len <= 0) return CUDA_ERROR_INVALID_VALUE;
    std::snprintf(name, (size_t) len, "jloss CUDA emulator (CPU, tests only)");
    return CUDA_SUCCESS;
}

CUresult cuDeviceGetAttribute(int *v, int attribute, CUdevice d) {
    if (!initialised) return CUDA_ERROR_NOT_INITIALIZED;
    if (d != 0) return CUDA_ERROR_INVALID_DEVICE;
    if (!v) return CUDA_ERROR_INVALID_VALUE;
    switch (attribute) {
    case 1: *v = MAX_THREADS; return CUDA_SUCCESS;  // MAX_THREADS_PER_BLOCK
    case 10: *v = 32; return CUDA_SUCCESS;          // WARP_SIZE
    case 16: *v = SM_COUNT; return CUDA_SUCCESS;    // MULTIPROCESSOR_COUNT
    case 75: *v = 9; return CUDA_SUCCESS;           // COMPUTE_CAPABILITY_MAJOR
    case 76: *v = 0; return CUDA_SUCCESS;           // COMPUTE_CAPABILITY_MINOR
    default:
        say("device attribute %d is not emulated", attribute);
        return CUDA_ERROR_INVALID_VALUE;
    }
}

CUresult cuDevicePrimaryCtxRetain(CUcontext *ctx, CUdevice d) {
    std::lock_guard<std::mutex> g(api);
    if (!initialised) return CUDA_ERROR_NOT_INITIALIZED;
    if (d != 0) return CUDA_ERROR_INVALID_DEVICE;
    if (!ctx) return CUDA_ERROR_INVALID_VALUE;
    primary.refs++;
    *ctx = &primary;
    return CUDA_SUCCESS;
}

CUresult cuDevicePrimaryCtxRelease_v2(CUdevice d) {
    std::lock_guard<std::mutex> g(api);
    if (!initialised) return CUDA_ERROR_NOT_INITIALIZED;
    if (d != 0) return CUDA_ERROR_INVALID_DEVICE;
    if (primary.refs == 0) {
        say("cuDevicePrimaryCtxRelease without a matching retain");
        return CUDA_ERROR_INVALID_CONTEXT;
    }
    if (--primary.refs == 0) { // the context goes, and everything in it
        for (auto &e : live) std::free(e.second.raw);
        live.clear();
        used = 0;
        for (auto *s : streams) delete s;
        streams.clear();
        for (auto *m : modules) delete m;
        modules.clear();
    }
    return CUDA_SUCCESS;
}

CUresult cuCtxSetCurrent(CUcontext ctx) {
    if (!initialised) return CUDA_ERROR_NOT_INITIALIZED;
    if (ctx != nullptr && ctx != &primary) return CUDA_ERROR_INVALID_CONTEXT;
    current = ctx;
    return CUDA_SUCCESS;
}

CUresult cuCtxGetDevice(CUdevice *d) {
    NEED_CONTEXT();
    if (!d) return CUDA_ERROR_INVALID_VALUE;
    *d = 0;
    return CUDA_SUCCESS;
}

CUresult cuCtxSynchronize(void) {
    NEED_CONTEXT();
    return CUDA_SUCCESS;
}

CUresult cuStreamCreate(CUstream *s, unsigned int flags) {
    std::lock_guard<std::mutex> g(api);
    NEED_CONTEXT();
    if (!s || flags > 1) return CUDA_ERROR_INVALID_VALUE;
    *s = new jl_stream();
    streams.insert(*s);
    return CUDA_SUCCESS;
}

CUresult cuStreamDestroy_v2(CUstream s) {
    std::lock_guard<std::mutex> g(api);
    NEED_CONTEXT();
    if (!streams.erase(s)) return CUDA_ERROR_INVALID_HANDLE;
    delete s;
    return CUDA_SUCCESS;
}

CUresult cuStreamSynchronize(CUstream s) {
    std::lock_guard<std::mutex> g(api);
    NEED_CONTEXT();
    return check_stream(s); // every operation completed when it was issued
}

/* The image must be an nvcc fatbin (magic 0xBA55ED50); its size comes from its header. */
CUresult cuModuleLoadData(CUmodule *m, const void *image) {
    std::lock_guard<std::mutex> g(api);
    NEED_CONTEXT();
    if (!m || !image) return CUDA_ERROR_INVALID_VALUE;
    const unsigned char *p = static_cast<const unsigned char *>(image);
    uint32_t magic;
    uint16_t header;
    uint64_t body;
    std::memcpy(&magic, p, 4);
    std::memcpy(&header, p + 6, 2);
    std::memcpy(&body, p + 8, 8);
    if (magic != 0xBA55ED50u) {
        say("cuModuleLoadData: not a fatbin (magic 0x%08x)", magic);
        return CUDA_ERROR_INVALID_IMAGE;
    }
    auto *mod = new jl_module();
    mod->image.assign(p, p + header + body);
    modules.insert(mod);
    *m = mod;
    return CUDA_SUCCESS;
}

CUresult cuModuleUnload(CUmodule m) {
    std::lock_guard<std::mutex> g(api);
    NEED_CONTEXT();
    if (!modules.erase(m)) return CUDA_ERROR_INVALID_HANDLE;
    delete m;
    return CUDA_SUCCESS;
}

CUresult cuModuleGetFunction(CUfunction *f, CUmodule m, const char *name) {
    std::lock_guard<std::mutex> g(api);
    NEED_CONTEXT();
    if (!f || !name) return CUDA_ERROR_INVALID_VALUE;
    if (!modules.count(m)) return CUDA_ERROR_INVALID_HANDLE;
    size_t n = std::strlen(name) + 1; // with its NUL, as in the ELF string table
    bool in_image = false;
    for (size_t i = 0; i + n <= m->image.size() && !in_image; i++) {
        in_image = std::memcmp(&m->image[i], name, n) == 0;
    }
    if (!in_image) {
        say("cuModuleGetFunction: the fatbin has no kernel named %s", name);
        return CUDA_ERROR_NOT_FOUND;
    }
    for (int i = 0; i < jl_kernel_count; i++) {
        if (std::strcmp(jl_kernels[i].name, name) == 0) {
            *f = &jl_kernels[i];
            return CUDA_SUCCESS;
        }
    }
    say("cuModuleGetFunction: %s is in the fatbin but not in the emulator's build", name);
    return CUDA_ERROR_NOT_FOUND;
}

CUresult cuMemAllocAsync(CUdeviceptr *p, size_t bytes, CUstream s) {
    std::lock_guard<std::mutex> g(api);
    NEED_CONTEXT();
    if (CUresult r = check_stream(s)) return r;
    if (!p || bytes == 0) return CUDA_ERROR_INVALID_VALUE;
    if (bytes > total_memory() - used) return CUDA_ERROR_OUT_OF_MEMORY;
    auto *raw = static_cast<unsigned char *>(std::aligned_alloc(GUARD, (bytes + 3 * GUARD - 1) / GUARD * GUARD));
    if (!raw) return CUDA_ERROR_OUT_OF_MEMORY;
    std::memset(raw, GUARD_BYTE, GUARD);
    std::memset(raw + GUARD, 0xFF, bytes);
    std::memset(raw + GUARD + bytes, GUARD_BYTE, GUARD);
    *p = (CUdeviceptr) (uintptr_t) (raw + GUARD);
    live[*p] = {raw, bytes};
    used += bytes;
    return CUDA_SUCCESS;
}

CUresult cuMemAlloc_v2(CUdeviceptr *p, size_t bytes) {
    return cuMemAllocAsync(p, bytes, nullptr);
}

CUresult cuMemFreeAsync(CUdeviceptr p, CUstream s) {
    std::lock_guard<std::mutex> g(api);
    NEED_CONTEXT();
    if (CUresult r = check_stream(s)) return r;
    auto it = live.find(p);
    if (it == live.end()) {
        say("cuMemFree of 0x%llx, which is not a live allocation (double free?)", p);
        return CUDA_ERROR_INVALID_VALUE;
    }
    bool intact = guards_intact(it->second);
    used -= it->second.size;
    std::free(it->second.raw);
    live.erase(it);
    if (!intact) {
        say("cuMemFree of 0x%llx: something wrote past its ends", p);
        return CUDA_ERROR_ILLEGAL_ADDRESS;
    }
    return CUDA_SUCCESS;
}

CUresult cuMemFree_v2(CUdeviceptr p) {
    return cuMemFreeAsync(p, nullptr);
}

CUresult cuMemGetInfo_v2(size_t *free, size_t *total) {
    std::lock_guard<std::mutex> g(api);
    NEED_CONTEXT();
    if (!free || !total) return CUDA_ERROR_INVALID_VALUE;
    *total = total_memory();
    *free = *total - used;
    return CUDA_SUCCESS;
}

CUresult cuMemcpyHtoDAsync_v2(CUdeviceptr dst, const void *src, size_t bytes, CUstream s) {
    std::lock_guard<std::mutex> g(api);
    NEED_CONTEXT();
    if (CUresult r = check_stream(s)) return r;
    if (CUresult r = check_range("cuMemcpyHtoD destination", dst, bytes)) return r;
    if (bytes) std::memcpy((void *) (uintptr_t) dst, src, bytes);
    return CUDA_SUCCESS;
}

CUresult cuMemcpyDtoHAsync_v2(void *dst, CUdeviceptr src, size_t bytes, CUstream s) {
    std::lock_guard<std::mutex> g(api);
    NEED_CONTEXT();
    if (CUresult r = check_stream(s)) return r;
    if (CUresult r = check_range("cuMemcpyDtoH source", src, bytes)) return r;
    if (bytes) std::memcpy(dst, (const void *) (uintptr_t) src, bytes);
    return CUDA_SUCCESS;
}

CUresult cuMemcpyDtoDAsync_v2(CUdeviceptr dst, CUdeviceptr src, size_t bytes, CUstream s) {
    std::lock_guard<std::mutex> g(api);
    NEED_CONTEXT();
    if (CUresult r = check_stream(s)) return r;
    if (CUresult r = check_range("cuMemcpyDtoD destination", dst, bytes)) return r;
    if (CUresult r = check_range("cuMemcpyDtoD source", src, bytes)) return r;
    if (bytes) std::memmove((void *) (uintptr_t) dst, (const void *) (uintptr_t) src, bytes);
    return CUDA_SUCCESS;
}

CUresult cuMemcpyHtoD_v2(CUdeviceptr dst, const void *src, size_t bytes) {
    return cuMemcpyHtoDAsync_v2(dst, src, bytes, nullptr);
}

CUresult cuMemcpyDtoH_v2(void *dst, CUdeviceptr src, size_t bytes) {
    return cuMemcpyDtoHAsync_v2(dst, src, bytes, nullptr);
}

CUresult cuMemsetD32Async(CUdeviceptr dst, unsigned int value, size_t n, CUstream s) {
    std::lock_guard<std::mutex> g(api);
    NEED_CONTEXT();
    if (CUresult r = check_stream(s)) return r;
    if (dst % 4) return CUDA_ERROR_INVALID_VALUE;
    if (CUresult r = check_range("cuMemsetD32 destination", dst, n * 4)) return r;
    unsigned int *p = (unsigned int *) (uintptr_t) dst;
    for (size_t i = 0; i < n; i++) p[i] = value;
    return CUDA_SUCCESS;
}

CUresult cuLaunchKernel(CUfunction f, unsigned int gx, unsigned int gy, unsigned int gz, unsigned int bx,
                        unsigned int by, unsigned int bz, unsigned int shared_bytes, CUstream s, void **params,
                        void **extra) {
    std::lock_guard<std::mutex> g(api);
    NEED_CONTEXT();
    if (CUresult r = check_stream(s)) return r;
    bool known = false;
    for (int i = 0; i < jl_kernel_count; i++) known |= f == &jl_kernels[i];
    if (!known) return CUDA_ERROR_INVALID_HANDLE;
    if (gx == 0 || gy == 0 || gz == 0 || bx == 0 || by == 0 || bz == 0) return CUDA_ERROR_INVALID_VALUE;
    if (gy != 1 || gz != 1 || by != 1 || bz != 1) {
        say("kernel %s: only 1-D grids and blocks are emulated", f->name);
        return CUDA_ERROR_NOT_SUPPORTED;
    }
    if (bx > MAX_THREADS) return CUDA_ERROR_INVALID_VALUE;
    if (shared_bytes != 0 || extra != nullptr) {
        say("kernel %s: dynamic shared memory and 'extra' are not emulated", f->name);
        return CUDA_ERROR_NOT_SUPPORTED;
    }
    if (f->nparams > 0 && !params) {
        say("kernel %s: %d parameters, none given", f->name, f->nparams);
        return CUDA_ERROR_INVALID_VALUE;
    }
    for (int i = 0; i < f->nparams; i++) {
        if (!params[i]) {
            say("kernel %s: parameter %d is a null pointer to its value", f->name, i);
            return CUDA_ERROR_INVALID_VALUE;
        }
        if (f->param_is_pointer[i]) {
            CUdeviceptr p;
            std::memcpy(&p, params[i], sizeof p);
            CUdeviceptr base;
            if (p != 0 && !holding(p, 0, &base)) {
                say("kernel %s: pointer parameter %d (0x%llx) is not inside a live allocation", f->name, i, p);
                return CUDA_ERROR_ILLEGAL_ADDRESS;
            }
        }
    }
    launches++;
    launching = f;
    launch_params = params;
    launch_failed = false;
    gridDim = {gx, 1, 1};
    blockDim = {bx, 1, 1};
    block_threads = (int) bx;
    for (unsigned b = 0; b < gx && !launch_failed; b++) {
        blockIdx = {b, 0, 0};
        if (!run_block(((launches + b) & 1) != 0)) launch_failed = true;
    }
    for (auto &e : live) {
        if (!guards_intact(e.second)) {
            say("kernel %s wrote outside the allocation at 0x%llx (%zu bytes)", f->name, e.first, e.second.size);
            // restore the guards, so that one fault is reported once
            std::memset(e.second.raw, GUARD_BYTE, GUARD);
            std::memset(e.second.raw + GUARD + e.second.size, GUARD_BYTE, GUARD);
            return CUDA_ERROR_ILLEGAL_ADDRESS;
        }
    }
    return launch_failed ? CUDA_ERROR_LAUNCH_FAILED : CUDA_SUCCESS;
}

CUresult cuGetErrorName(CUresult e, const char **s) {
    if (!s) return CUDA_ERROR_INVALID_VALUE;
    switch (e) {
    case CUDA_SUCCESS: *s = "CUDA_SUCCESS"; break;
    case CUDA_ERROR_INVALID_VALUE: *s = "CUDA_ERROR_INVALID_VALUE"; break;
    case CUDA_ERROR_OUT_OF_MEMORY: *s = "CUDA_ERROR_OUT_OF_MEMORY"; break;
    case CUDA_ERROR_NOT_INITIALIZED: *s = "CUDA_ERROR_NOT_INITIALIZED"; break;
    case CUDA_ERROR_INVALID_DEVICE: *s = "CUDA_ERROR_INVALID_DEVICE"; break;
    case CUDA_ERROR_INVALID_IMAGE: *s = "CUDA_ERROR_INVALID_IMAGE"; break;
    case CUDA_ERROR_INVALID_CONTEXT: *s = "CUDA_ERROR_INVALID_CONTEXT"; break;
    case CUDA_ERROR_INVALID_HANDLE: *s = "CUDA_ERROR_INVALID_HANDLE"; break;
    case CUDA_ERROR_NOT_FOUND: *s = "CUDA_ERROR_NOT_FOUND"; break;
    case CUDA_ERROR_ILLEGAL_ADDRESS: *s = "CUDA_ERROR_ILLEGAL_ADDRESS"; break;
    case CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES: *s = "CUDA_ERROR_LAUNCH_OUT_OF_RESOURCES"; break;
    case CUDA_ERROR_LAUNCH_FAILED: *s = "CUDA_ERROR_LAUNCH_FAILED"; break;
    case CUDA_ERROR_NOT_SUPPORTED: *s = "CUDA_ERROR_NOT_SUPPORTED"; break;
    default: *s = nullptr; return CUDA_ERROR_INVALID_VALUE;
    }
    return CUDA_SUCCESS;
}

CUresult cuGetErrorString(CUresult e, const char **s) {
    return cuGetErrorName(e, s);
}

} // extern "C"
