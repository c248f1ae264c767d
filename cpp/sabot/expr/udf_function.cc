// UdfFunction and its kernel adapter (column buffers in, C function, array out).
#include "sabot/expr/udf_function.h"

#include <cstring>
#include <list>
#include <mutex>
#include <set>

#include <arrow/array.h>
#include <arrow/array/util.h>
#include <arrow/buffer.h>
#include <arrow/compute/kernel.h>
#include <arrow/compute/registry.h>
#include <arrow/type.h>
#include <arrow/type_traits.h>
#include <arrow/util/bit_util.h>
#include <arrow/util/bitmap_generate.h>

#include "sabot/expr/bind.h"

namespace sabot {

namespace cp = arrow::compute;

namespace {

struct UdfKernelState final : cp::KernelState {
  UdfKernelState(std::string name, UdfKernelSpec spec) : name(std::move(name)), spec(std::move(spec)) {}
  std::string name;
  UdfKernelSpec spec;
};

// Stands in for the buffers of empty arrays, which may be null: the UDF never reads it.
alignas(8) const uint8_t kEmpty[8] = {0, 0, 0, 0, 0, 0, 0, 0};

Result<std::shared_ptr<arrow::Buffer>> BitsToBytes(const uint8_t* bitmap, int64_t offset, int64_t length,
                                                   arrow::MemoryPool* pool) {
  ARROW_ASSIGN_OR_RAISE(auto bytes, arrow::AllocateBuffer(length, pool));
  uint8_t* out = bytes->mutable_data();
  for (int64_t i = 0; i < length; ++i) out[i] = arrow::bit_util::GetBit(bitmap, offset + i) ? 1 : 0;
  return std::shared_ptr<arrow::Buffer>(std::move(bytes));
}

Result<std::shared_ptr<arrow::Buffer>> BytesToBits(const uint8_t* bytes, int64_t length, arrow::MemoryPool* pool) {
  ARROW_ASSIGN_OR_RAISE(auto bitmap, arrow::AllocateBitmap(length, pool));
  int64_t i = 0;
  arrow::internal::GenerateBitsUnrolled(bitmap->mutable_data(), 0, length, [&] { return bytes[i++] != 0; });
  return std::shared_ptr<arrow::Buffer>(std::move(bitmap));
}

//! The arguments as arrays (scalars broadcast): for host UDFs and error reports.
Result<std::vector<std::shared_ptr<arrow::Array>>> ArgumentArrays(const cp::ExecSpan& batch) {
  std::vector<std::shared_ptr<arrow::Array>> arrays;
  for (const auto& value : batch.values) {
    if (value.is_array()) {
      arrays.push_back(value.array.ToArray());
    } else {
      ARROW_ASSIGN_OR_RAISE(auto broadcast, arrow::MakeArrayFromScalar(*value.scalar, batch.length));
      arrays.push_back(std::move(broadcast));
    }
  }
  return arrays;
}

Status ExecHost(const UdfKernelState& state, const cp::ExecSpan& batch, cp::ExecResult* out) {
  ARROW_ASSIGN_OR_RAISE(auto args, ArgumentArrays(batch));
  ARROW_ASSIGN_OR_RAISE(auto result, state.spec.host(args));
  if (result == nullptr || result->length() != batch.length) {
    return Status::Invalid("UDF '", state.name, "' returned ", result ? result->length() : 0, " values for ",
                           batch.length, " rows");
  }
  if (!result->type()->Equals(*state.spec.output_type)) {
    return Status::TypeError("UDF '", state.name, "' returned ", result->type()->ToString(), ", declared ",
                             state.spec.output_type->ToString());
  }
  out->value = result->data();
  return Status::OK();
}

Status ExecNative(cp::KernelContext* ctx, const UdfKernelState& state, const cp::ExecSpan& batch,
                  cp::ExecResult* out) {
  const UdfKernelSpec& spec = state.spec;
  const int64_t n = batch.length;
  const int arity = batch.num_values();
  arrow::MemoryPool* pool = ctx->memory_pool();

  // Scalars (literal arguments) are broadcast so the UDF sees columns only.
  std::vector<std::shared_ptr<arrow::Array>> broadcast;
  std::vector<const arrow::ArraySpan*> spans;
  std::vector<arrow::ArraySpan> broadcast_spans(arity);
  for (int i = 0; i < arity; ++i) {
    if (batch[i].is_array()) {
      spans.push_back(&batch[i].array);
    } else {
      ARROW_ASSIGN_OR_RAISE(auto array, arrow::MakeArrayFromScalar(*batch[i].scalar, n, pool));
      broadcast_spans[i].SetMembers(*array->data());
      broadcast.push_back(std::move(array));
      spans.push_back(&broadcast_spans[i]);
    }
  }

  std::vector<void*> buffers(3 * arity + 2, nullptr);
  std::vector<int64_t> params(arity + 2, 0);
  std::vector<std::shared_ptr<arrow::Buffer>> scratch;  // unpacked bits, alive until the call returns
  std::shared_ptr<arrow::Buffer> mask;                  // output validity, one byte per row
  for (int i = 0; i < arity; ++i) {
    const arrow::ArraySpan& a = *spans[i];
    if (a.GetNullCount() > 0 && a.buffers[0].data != nullptr) {
      ARROW_ASSIGN_OR_RAISE(auto valid, BitsToBytes(a.buffers[0].data, a.offset, n, pool));
      buffers[3 * i] = valid->mutable_data();
      params[1 + i] = 1;
      if (!spec.handles_nulls) {
        if (mask == nullptr) {
          ARROW_ASSIGN_OR_RAISE(mask, arrow::AllocateBuffer(n, pool));
          std::memcpy(mask->mutable_data(), valid->data(), n);
        } else {
          uint8_t* m = mask->mutable_data();
          for (int64_t r = 0; r < n; ++r) m[r] &= valid->data()[r];
        }
      }
      scratch.push_back(std::move(valid));
    }
    const arrow::DataType& type = *a.type;
    if (type.id() == arrow::Type::BOOL) {
      ARROW_ASSIGN_OR_RAISE(auto bytes, BitsToBytes(a.buffers[1].data, a.offset, n, pool));
      buffers[3 * i + 1] = bytes->mutable_data();
      scratch.push_back(std::move(bytes));
    } else if (type.id() == arrow::Type::STRING) {
      const uint8_t* chars = a.buffers[2].data != nullptr ? a.buffers[2].data : kEmpty;
      buffers[3 * i + 1] = const_cast<uint8_t*>(chars);
      const auto* offsets = a.buffers[1].data != nullptr ? a.GetValues<int32_t>(1) : nullptr;
      buffers[3 * i + 2] = offsets != nullptr ? static_cast<void*>(const_cast<int32_t*>(offsets))
                                               : static_cast<void*>(const_cast<uint8_t*>(kEmpty));
    } else if (NativeUdfAcceptsType(type)) {
      const int width = type.byte_width();
      const uint8_t* values = a.buffers[1].data != nullptr ? a.buffers[1].data + a.offset * width : kEmpty;
      buffers[3 * i + 1] = const_cast<uint8_t*>(values);
    } else {
      return Status::TypeError("UDF '", state.name, "' cannot take ", type.ToString(), " arguments");
    }
  }

  const auto& out_type = *spec.output_type;
  const bool bool_out = out_type.id() == arrow::Type::BOOL;
  if (!bool_out && (!NativeUdfAcceptsType(out_type) || out_type.id() == arrow::Type::STRING)) {
    return Status::TypeError("UDF '", state.name, "' cannot return ", out_type.ToString(), " from compiled code");
  }
  if (spec.handles_nulls) {
    ARROW_ASSIGN_OR_RAISE(mask, arrow::AllocateBuffer(n, pool));
    std::memset(mask->mutable_data(), 1, n);
  }
  const int64_t out_width = bool_out ? 1 : out_type.byte_width();
  ARROW_ASSIGN_OR_RAISE(std::shared_ptr<arrow::Buffer> values, arrow::AllocateBuffer(n * out_width, pool));
  // Rows the UDF skips (nulls) are left zero rather than whatever memory held.
  if (mask != nullptr) std::memset(values->mutable_data(), 0, n * out_width);
  buffers[3 * arity] = mask != nullptr ? mask->mutable_data() : nullptr;
  buffers[3 * arity + 1] = values->mutable_data();
  params[1 + arity] = mask != nullptr ? 1 : 0;

  if (n > 0 && spec.native(n, buffers.data(), params.data()) != 0) {
    const int64_t row = params[0];
    if (!spec.on_error) return Status::ExecutionError("UDF '", state.name, "' failed at row ", row);
    ARROW_ASSIGN_OR_RAISE(auto args, ArgumentArrays(batch));
    return spec.on_error(args, row);
  }

  if (bool_out) {
    ARROW_ASSIGN_OR_RAISE(values, BytesToBits(values->data(), n, pool));
  }
  std::shared_ptr<arrow::Buffer> validity;
  int64_t null_count = 0;
  if (mask != nullptr) {
    for (int64_t r = 0; r < n; ++r) null_count += mask->data()[r] == 0;
    if (null_count > 0) {
      ARROW_ASSIGN_OR_RAISE(validity, BytesToBits(mask->data(), n, pool));
    }
  }
  out->value = arrow::ArrayData::Make(spec.output_type, n, {std::move(validity), std::move(values)}, null_count);
  return Status::OK();
}

Status ExecUdf(cp::KernelContext* ctx, const cp::ExecSpan& batch, cp::ExecResult* out) {
  const auto& state = static_cast<const UdfKernelState&>(*ctx->kernel()->data);
  if (state.spec.native != nullptr) return ExecNative(ctx, state, batch, out);
  return ExecHost(state, batch, out);
}

//! Kernels are made on demand per argument types, so dispatch asks the specializer
//! instead of searching a fixed list.
class UdfFunction final : public cp::ScalarFunction {
 public:
  UdfFunction(const std::string& name, int arity, cp::FunctionDoc doc, UdfSpecializer specializer)
      : cp::ScalarFunction(name, cp::Arity(arity), std::move(doc), nullptr, /*is_pure=*/true),
        specializer_(std::move(specializer)) {}

  Result<const cp::Kernel*> DispatchExact(const std::vector<arrow::TypeHolder>& types) const override {
    return KernelFor(types);
  }
  Result<const cp::Kernel*> DispatchBest(std::vector<arrow::TypeHolder>* types) const override {
    return KernelFor(*types);
  }

 private:
  struct Entry {
    std::vector<std::shared_ptr<arrow::DataType>> types;
    cp::ScalarKernel kernel;
  };

  const cp::Kernel* Find(const std::vector<arrow::TypeHolder>& types) const {
    for (const auto& entry : kernels_) {
      bool same = entry.types.size() == types.size();
      for (size_t i = 0; same && i < types.size(); ++i) same = entry.types[i]->Equals(*types[i].type);
      if (same) return &entry.kernel;
    }
    return nullptr;
  }

  Result<const cp::Kernel*> KernelFor(const std::vector<arrow::TypeHolder>& types) const {
    if (static_cast<int>(types.size()) != arity().num_args) {
      return Status::Invalid("UDF '", name(), "' takes ", arity().num_args, " arguments, got ", types.size());
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (const cp::Kernel* kernel = Find(types)) return kernel;
    }
    // Specializing may compile and take other locks (the GIL): not under ours.
    std::vector<std::shared_ptr<arrow::DataType>> shared;
    std::vector<cp::InputType> inputs;
    for (const auto& t : types) {
      shared.push_back(t.GetSharedPtr());
      inputs.emplace_back(t.GetSharedPtr());
    }
    ARROW_ASSIGN_OR_RAISE(UdfKernelSpec spec, specializer_(shared));
    if (spec.output_type == nullptr || (spec.native == nullptr && !spec.host)) {
      return Status::Invalid("UDF '", name(), "': its specializer made no kernel");
    }
    cp::ScalarKernel kernel(std::move(inputs), cp::OutputType(spec.output_type), ExecUdf);
    kernel.null_handling = cp::NullHandling::COMPUTED_NO_PREALLOCATE;
    kernel.mem_allocation = cp::MemAllocation::NO_PREALLOCATE;
    kernel.can_write_into_slices = false;
    kernel.data = std::make_shared<UdfKernelState>(name(), std::move(spec));
    std::lock_guard<std::mutex> lock(mutex_);
    if (const cp::Kernel* kernel_made_meanwhile = Find(types)) return kernel_made_meanwhile;
    // A list: pointers to kernels stay valid while others are added.
    kernels_.push_back({std::move(shared), std::move(kernel)});
    return &kernels_.back().kernel;
  }

  UdfSpecializer specializer_;
  mutable std::mutex mutex_;
  mutable std::list<Entry> kernels_;
};

std::mutex& RegisteredMutex() {
  static std::mutex mutex;
  return mutex;
}
std::set<std::string>& Registered() {
  static std::set<std::string> names;
  return names;
}

}  // namespace

bool NativeUdfAcceptsType(const arrow::DataType& type) {
  const arrow::Type::type id = type.id();
  if (arrow::is_integer(id)) return true;
  if (arrow::is_floating(id)) return id != arrow::Type::HALF_FLOAT;  // no C type for it
  return id == arrow::Type::BOOL || id == arrow::Type::DATE32 || id == arrow::Type::DATE64 ||
         id == arrow::Type::TIMESTAMP || id == arrow::Type::DURATION || id == arrow::Type::STRING;
}

Status RegisterUdf(const std::string& name, int arity, UdfSpecializer specializer, const std::string& describe) {
  ARROW_RETURN_NOT_OK(EnsureComputeInitialized());
  if (arity < 0) return Status::Invalid("UDF '", name, "': arity must not be negative");
  std::vector<std::string> arg_names;
  for (int i = 0; i < arity; ++i) arg_names.push_back("arg" + std::to_string(i));
  cp::FunctionDoc doc(describe.empty() ? "user-defined function" : describe, "", std::move(arg_names));
  auto function = std::make_shared<UdfFunction>(name, arity, std::move(doc), std::move(specializer));
  std::lock_guard<std::mutex> lock(RegisteredMutex());
  auto status = cp::GetFunctionRegistry()->AddFunction(std::move(function), /*allow_overwrite=*/false);
  if (!status.ok()) return Status::KeyError("cannot register UDF '", name, "': ", status.message());
  Registered().insert(name);
  return Status::OK();
}

bool IsRegisteredUdf(const std::string& name) {
  std::lock_guard<std::mutex> lock(RegisteredMutex());
  return Registered().count(name) > 0;
}

}  // namespace sabot
