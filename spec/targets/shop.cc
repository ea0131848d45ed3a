// shop.cc: C++ names for names_spec: namespaces, a class with overloads,
// a const method, operator[], a template, a lambda, a std::string
// parameter, std::vector::push_back. Prints what it did, so a spec can
// compare lutra's counts with the program's own.
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

namespace shop {

int total = 0; // data: break_at must refuse it

struct Basket {
  std::vector<int> items;
  void add(int price) { items.push_back(price); total += price; }
  void add(const char *name) { add(static_cast<int>(std::string(name).size())); }
  void add(unsigned long n, int price) {
    for (unsigned long i = 0; i < n; i++) add(price);
  }
  int count() const { return static_cast<int>(items.size()); }
  int operator[](int i) const { return items[static_cast<size_t>(i)]; }
};

__attribute__((noinline)) int price_of(const std::string &what) { return static_cast<int>(what.size()) * 10; }

template <typename T> __attribute__((noinline)) T twice(T v) { return v + v; }

__attribute__((noinline)) void nothing(void) {}

} // namespace shop

int main(int argc, char **argv) {
  int rounds = argc > 1 ? std::atoi(argv[1]) : 3;
  shop::Basket b;
  auto tax = [](int v) { return v / 10; };
  int taxes = 0;
  for (int r = 0; r < rounds; r++) {
    b.add(5);                       // add(int): 1 + the 2 below = 3 per round
    b.add("apple");                 // add(char const*) -> add(int)
    b.add(2UL, shop::price_of("x")); // add(unsigned long, int) -> 2 x add(int)
    taxes += tax(b[0]);
    shop::twice(r);
    shop::twice(1.5);
    shop::nothing();
  }
  std::printf("items=%d total=%d taxes=%d\n", b.count(), shop::total, taxes);
  return 0;
}
