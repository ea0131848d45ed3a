// classes.cc: C++ values for values_spec: a class and its method (this),
// references, a class passed by invisible reference, std::string, built
// with g++ and clang++ at -O0 and -O2.
#include <cstdio>
#include <string>

volatile int sink;

namespace geo {
struct Point {
  int x, y;
};

class Shape {
 public:
  Shape(const char *name, int w, int h) : name_(name), w_(w), h_(h) {}
  virtual ~Shape() {}
  int area() const;
  const char *name_;

 private:
  int w_, h_;
};

__attribute__((noinline)) int Shape::area() const {
  sink = w_;
  return w_ * h_;
}

// Not trivially copyable: passed by invisible reference (its address in rdi).
struct Tracked {
  Tracked(int v) : v(v) {}
  Tracked(const Tracked &o) : v(o.v + 1000) {}
  ~Tracked() { sink = v; }
  int v;
};
}  // namespace geo

__attribute__((noinline)) int by_ref(const geo::Point &p, int &out) {
  out = p.x + p.y;
  sink = out;
  return out;
}

__attribute__((noinline)) size_t name_len(const std::string &s) {
  sink = (int)s.size();
  return s.size();
}

__attribute__((noinline)) int tracked(geo::Tracked t) {
  sink = t.v;
  return t.v;
}

std::string global_name = "a global std::string, long enough for the heap";

int main() {
  geo::Shape sq("square", 3, 4);
  int rc = sq.area();
  geo::Point pt = {5, 6};
  int out = 0;
  rc += by_ref(pt, out);
  std::string s = "hello";
  rc += (int)name_len(s);
  rc += (int)name_len(global_name);
  geo::Tracked tr(7);
  rc += tracked(tr);
  std::printf("rc=%d\n", rc);
  return 0;
}
