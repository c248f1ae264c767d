// An allocator whose value-less construct leaves trivial types uninitialized.
#pragma once

#include <memory>
#include <new>
#include <type_traits>
#include <utility>
#include <vector>

namespace sabot {

//! For scratch vectors that are always written before they are read: `resize(n)` and
//! the size constructor then skip zeroing, so a large buffer sized up front costs
//! nothing (nor page faults) until its first entries are used. Anything built from
//! arguments is constructed as with `A`.
template <typename T, typename A = std::allocator<T>>
class DefaultInitAllocator : public A {
  using Traits = std::allocator_traits<A>;

 public:
  template <typename U>
  struct rebind {
    using other = DefaultInitAllocator<U, typename Traits::template rebind_alloc<U>>;
  };

  using A::A;

  template <typename U>
  void construct(U* ptr) noexcept(std::is_nothrow_default_constructible_v<U>) {
    ::new (static_cast<void*>(ptr)) U;  // default-initialized: no zeroing for trivial U
  }
  template <typename U, typename... Args>
  void construct(U* ptr, Args&&... args) {
    Traits::construct(static_cast<A&>(*this), ptr, std::forward<Args>(args)...);
  }
};

//! A vector whose resize leaves new trivial entries uninitialized.
template <typename T>
using UninitVector = std::vector<T, DefaultInitAllocator<T>>;

}  // namespace sabot
