// rsdemo.rs: Rust names for names_spec (std only, built by CMake with
// Debian's /usr/bin/rustc, legacy and v0 mangling): a module path, a
// trait impl, a closure, a generic function, threads. Prints its own
// counts so a spec can compare lutra's with them.
use std::thread;

pub mod parse {
    #[inline(never)]
    pub fn line(s: &str) -> usize {
        s.split(',').count()
    }
}

pub trait Shape {
    fn area(&self) -> u64;
}

pub struct Square(pub u64);

impl Shape for Square {
    #[inline(never)]
    fn area(&self) -> u64 {
        self.0 * self.0
    }
}

#[inline(never)]
fn compute(x: u64) -> u64 {
    x * 2 + 1
}

#[inline(never)]
fn apply<F: Fn(u64) -> u64>(f: F, v: u64) -> u64 {
    f(v)
}

fn main() {
    let n: u64 = std::env::args().nth(1).and_then(|a| a.parse().ok()).unwrap_or(3);
    let workers: Vec<_> = (0..2)
        .map(|w| {
            thread::spawn(move || {
                let mut sum = 0;
                for i in 0..n {
                    sum += compute(i + w * 100);
                }
                sum
            })
        })
        .collect();
    let sums: Vec<u64> = workers.into_iter().map(|h| h.join().unwrap()).collect();
    let fields = parse::line("a,b,c");
    let sq = Square(7);
    let add = |v: u64| v + fields as u64;
    let applied = apply(add, sq.area());
    println!("compute={} sums={:?} fields={} area={} applied={}", 2 * n, sums, fields, sq.area(), applied);
}
