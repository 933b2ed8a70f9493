// JobFromJson (json_codec.h): a job request body decoded straight into
// fsm::Job from nlohmann's SAX events, without building a JSON document
// first. Every upsert goes through here, and the document (a map node and a
// string per field) was most of the decode's allocations.
//
// The result must be exactly what JobFromJsonValue gives for the parsed
// document (the restore endpoint and the tests' oracle still use it):
//   - a syntax error anywhere wins over every field error, so field errors
//     are only recorded while parsing and chosen at the end;
//   - a duplicate key replaces the earlier value (nlohmann's std::map
//     object), so each occurrence of a key resets what it decodes into,
//     errors included;
//   - of several bad fields, the first in JobFromJsonValue's order is
//     named; inside an object of strings the smallest bad key (std::map
//     order), inside an array the first bad index.
// job_decoder_fuzzer.cc checks the two decoders agree on arbitrary input.
#include <array>
#include <cstdint>
#include <limits>
#include <map>
#include <string>
#include <string_view>
#include <variant>

#include "api/json_codec.h"
#include "common/go_duration.h"

namespace ckron::api {
namespace {

using nlohmann::json;

// One JSON value as the SAX events deliver it. Containers carry no content:
// the decoder either enters them or skips them.
struct Value {
  enum class Kind { kNull, kBool, kInteger, kUnsigned, kFloat, kString, kObject, kArray };
  Kind kind = Kind::kNull;
  bool boolean = false;
  std::int64_t integer = 0;
  std::uint64_t unsigned_integer = 0;
  double floating = 0;
  std::string* string = nullptr;  // kString: the lexer's buffer, may be moved from

  bool container() const { return kind == Kind::kObject || kind == Kind::kArray; }

  // The "got ..." part of an error, as FieldError in json_codec.cc words it
  // for the document's value (numbers printed as json::dump prints them).
  std::string Described() const {
    switch (kind) {
      case Kind::kNull:
        return "null";
      case Kind::kBool:
        return "bool";
      case Kind::kString:
        return "string";
      case Kind::kObject:
        return "object";
      case Kind::kArray:
        return "array";
      case Kind::kInteger:
        return "number " + json(integer).dump();
      case Kind::kUnsigned:
        return "number " + json(unsigned_integer).dump();
      case Kind::kFloat:
        return "number " + json(floating).dump();
    }
    return "value";
  }
};

std::string FieldMessage(std::string_view field, const char* expected, const Value& got) {
  return "Unable to parse payload: field \"" + std::string(field) + "\" must be " + expected +
         ", got " + got.Described() + ".";
}

using Processors = std::map<std::string, fsm::StringMap>;
// What a top-level field decodes into; the alternative says how.
using Member = std::variant<std::string fsm::Job::*, bool fsm::Job::*, std::int64_t fsm::Job::*,
                            std::uint32_t fsm::Job::*, std::optional<absl::Time> fsm::Job::*,
                            std::optional<absl::Duration> fsm::Job::*, fsm::StringMap fsm::Job::*,
                            std::vector<std::string> fsm::Job::*, Processors fsm::Job::*>;

struct Field {
  std::string_view name;
  Member member;
};

// In JobFromJsonValue's order, which is the order errors are reported in.
// `id`, `next` and the bookkeeping fields are not read (computed by the
// server), so they are unknown fields here: ignored.
constexpr std::array<Field, 27> kFields = {{
    {"name", &fsm::Job::name},
    {"displayname", &fsm::Job::displayname},
    {"timezone", &fsm::Job::timezone},
    {"schedule", &fsm::Job::schedule},
    {"owner", &fsm::Job::owner},
    {"owner_email", &fsm::Job::owner_email},
    {"success_count", &fsm::Job::success_count},
    {"error_count", &fsm::Job::error_count},
    {"last_success", &fsm::Job::last_success},
    {"last_error", &fsm::Job::last_error},
    {"disabled", &fsm::Job::disabled},
    {"tags", &fsm::Job::tags},
    {"metadata", &fsm::Job::metadata},
    {"retries", &fsm::Job::retries},
    {"dependent_jobs", &fsm::Job::dependent_jobs},
    {"parent_job", &fsm::Job::parent_job},
    {"processors", &fsm::Job::processors},
    {"concurrency", &fsm::Job::concurrency},
    {"executor", &fsm::Job::executor},
    {"executor_config", &fsm::Job::executor_config},
    {"status", &fsm::Job::status},
    {"ephemeral", &fsm::Job::ephemeral},
    {"starts_at", &fsm::Job::starts_at},
    {"expires_at", &fsm::Job::expires_at},
    {"misfire_policy", &fsm::Job::misfire_policy},
    {"starting_deadline", &fsm::Job::starting_deadline},
    {"retry_backoff", &fsm::Job::retry_backoff},
}};
constexpr int kUnknownField = -1;

constexpr int FieldIndex(std::string_view key) {
  for (std::size_t i = 0; i < kFields.size(); ++i) {
    if (kFields[i].name == key) return static_cast<int>(i);
  }
  return kUnknownField;
}
constexpr auto kDependentJobs = static_cast<std::size_t>(FieldIndex("dependent_jobs"));
constexpr auto kProcessors = static_cast<std::size_t>(FieldIndex("processors"));

template <class... F>
struct Overloaded : F... {
  using F::operator()...;
};
template <class... F>
Overloaded(F...) -> Overloaded<F...>;

// Bad entries of one object of strings, by key; the smallest is reported.
using KeyErrors = std::map<std::string, std::string>;

// The SAX handler (nlohmann's json_sax interface, duck-typed). Not
// thread-safe; one per body.
class JobSax {
 public:
  // The job, or the error JobFromJsonValue would report.
  Result<fsm::Job> Finish() && {
    if (!syntax_error_.empty()) return Status::InvalidArgument(syntax_error_);
    if (!top_is_object_) {
      return Status::InvalidArgument("Unable to parse payload: the body must be a JSON object.");
    }
    for (std::size_t i = 0; i < kFields.size(); ++i) {
      if (!errors_[i].empty()) return Status::InvalidArgument(errors_[i]);
      if (!key_errors_[i].empty()) return Status::InvalidArgument(key_errors_[i].begin()->second);
      if (i == kProcessors) {
        // Processors by name; for each, a wrong type before its entries.
        for (const auto& [name, e] : processor_errors_) {
          if (!e.self.empty()) return Status::InvalidArgument(e.self);
          if (!e.keys.empty()) return Status::InvalidArgument(e.keys.begin()->second);
        }
      }
    }
    return std::move(job_);
  }

  // --- json_sax ---
  bool null() { return OnValue(Value{}); }
  bool boolean(bool b) {
    Value v{Value::Kind::kBool};
    v.boolean = b;
    return OnValue(v);
  }
  bool number_integer(std::int64_t n) {
    Value v{Value::Kind::kInteger};
    v.integer = n;
    return OnValue(v);
  }
  bool number_unsigned(std::uint64_t n) {
    Value v{Value::Kind::kUnsigned};
    v.unsigned_integer = n;
    return OnValue(v);
  }
  bool number_float(double d, const std::string&) {
    Value v{Value::Kind::kFloat};
    v.floating = d;
    return OnValue(v);
  }
  bool string(std::string& s) {
    Value v{Value::Kind::kString};
    v.string = &s;
    return OnValue(v);
  }
  bool binary(json::binary_t&) { return true; }  // JSON text has none
  bool start_object(std::size_t) {
    if (skip_ > 0) return ++skip_, true;
    return OnValue(Value{Value::Kind::kObject});
  }
  bool start_array(std::size_t) {
    if (skip_ > 0) return ++skip_, true;
    return OnValue(Value{Value::Kind::kArray});
  }
  bool end_object() { return End(); }
  bool end_array() { return End(); }
  bool key(std::string& k) {
    if (skip_ > 0) return true;
    switch (frame().kind) {
      case Frame::kJob:
        field_ = FieldIndex(k);
        if (field_ != kUnknownField) ResetField(static_cast<std::size_t>(field_));
        break;
      case Frame::kMap:
        key_ = std::move(k);
        break;
      case Frame::kProcessors:
        // A later occurrence replaces the earlier processor entirely.
        processor_ = std::move(k);
        job_.processors[processor_].clear();
        processor_errors_.erase(processor_);
        break;
      default:
        break;
    }
    return true;
  }
  bool parse_error(std::size_t, const std::string&, const nlohmann::detail::exception& e) {
    std::string what = e.what();
    // "[json.exception.parse_error.101] parse error at line 1, column 2: ..."
    if (const std::size_t p = what.find("] "); p != std::string::npos) what = what.substr(p + 2);
    syntax_error_ = "Unable to parse payload: " + what + ".";
    return false;
  }

 private:
  // A container being decoded. Nesting deeper than these is skipped.
  struct Frame {
    enum Kind { kTop, kJob, kMap, kStrings, kProcessors } kind = kTop;
    // kMap: where entries go and where bad ones are noted; `field` names
    // them, or with `processor`, the processor being decoded does.
    fsm::StringMap* map = nullptr;
    KeyErrors* errors = nullptr;
    std::size_t field = 0;
    bool processor = false;
    // kStrings: the next element's index.
    std::size_t index = 0;
  };

  Frame& frame() { return frames_[depth_]; }
  void Push(const Frame& f) { frames_[++depth_] = f; }
  bool End() {
    if (skip_ > 0) return --skip_, true;
    --depth_;
    return true;
  }
  // A value the decoder does not use: a container's content is skipped.
  bool Skip(const Value& v) {
    if (v.container()) skip_ = 1;
    return true;
  }
  // Notes `message` as the error of a value and skips it.
  bool Refuse(std::string* error, std::string message, const Value& v) {
    *error = std::move(message);
    return Skip(v);
  }

  bool OnValue(const Value& v) {
    if (skip_ > 0) return true;
    Frame& f = frame();
    switch (f.kind) {
      case Frame::kTop:
        if (v.kind != Value::Kind::kObject) return Skip(v);
        top_is_object_ = true;
        Push(Frame{Frame::kJob});
        return true;
      case Frame::kJob:
        if (field_ == kUnknownField) return Skip(v);
        return OnField(static_cast<std::size_t>(field_), v);
      case Frame::kMap: {
        if (v.kind == Value::Kind::kString) {
          f.errors->erase(key_);
          (*f.map)[key_] = std::move(*v.string);
          return true;
        }
        const std::string name =
            f.processor ? "processors." + processor_ : std::string(kFields[f.field].name);
        return Refuse(&(*f.errors)[key_], FieldMessage(name + "." + key_, "a string", v), v);
      }
      case Frame::kStrings: {
        const std::size_t i = f.index++;
        if (v.kind == Value::Kind::kString) {
          job_.dependent_jobs.push_back(std::move(*v.string));
          return true;
        }
        std::string& error = errors_[kDependentJobs];
        if (!error.empty()) return Skip(v);  // the first bad element is reported
        return Refuse(&error,
                      FieldMessage("dependent_jobs[" + std::to_string(i) + "]", "a string", v), v);
      }
      case Frame::kProcessors:
        if (v.kind == Value::Kind::kNull) return true;  // an empty config
        if (v.kind == Value::Kind::kObject) {
          Frame config{Frame::kMap, &job_.processors[processor_],
                       &processor_errors_[processor_].keys};
          config.processor = true;
          Push(config);
          return true;
        }
        return Refuse(&processor_errors_[processor_].self,
                      FieldMessage("processors." + processor_, "an object of strings", v), v);
    }
    return true;
  }

  // The value of top-level field `i`; null leaves it at its default.
  bool OnField(std::size_t i, const Value& v) {
    if (v.kind == Value::Kind::kNull) return true;
    const std::string_view name = kFields[i].name;
    std::string* error = &errors_[i];
    using K = Value::Kind;
    return std::visit(
        Overloaded{
            [&](std::string fsm::Job::*m) {
              if (v.kind != K::kString) return Refuse(error, FieldMessage(name, "a string", v), v);
              job_.*m = std::move(*v.string);
              return true;
            },
            [&](bool fsm::Job::*m) {
              if (v.kind != K::kBool)
                return Refuse(error, FieldMessage(name, "true or false", v), v);
              job_.*m = v.boolean;
              return true;
            },
            [&](std::int64_t fsm::Job::*m) {
              if (v.kind == K::kInteger) {
                job_.*m = v.integer;
              } else if (v.kind == K::kUnsigned &&
                         v.unsigned_integer <=
                             static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max())) {
                job_.*m = static_cast<std::int64_t>(v.unsigned_integer);
              } else {
                return Refuse(error, FieldMessage(name, "an integer", v), v);
              }
              return true;
            },
            [&](std::uint32_t fsm::Job::*m) {
              if (v.kind != K::kUnsigned ||
                  v.unsigned_integer > std::numeric_limits<std::uint32_t>::max()) {
                return Refuse(error, FieldMessage(name, "a non-negative integer", v), v);
              }
              job_.*m = static_cast<std::uint32_t>(v.unsigned_integer);
              return true;
            },
            [&](std::optional<absl::Time> fsm::Job::*m) {
              if (v.kind != K::kString) {
                return Refuse(error, FieldMessage(name, "an RFC 3339 time string", v), v);
              }
              auto t = ParseJobTime(*v.string);
              if (!t.ok()) return Refuse(error, ValueMessage(name, t.status()), v);
              job_.*m = *t;
              return true;
            },
            [&](std::optional<absl::Duration> fsm::Job::*m) {
              if (v.kind != K::kString) {
                return Refuse(error, FieldMessage(name, "a duration string such as \"30s\"", v), v);
              }
              auto d = ParseGoDuration(*v.string);
              if (!d.ok()) return Refuse(error, ValueMessage(name, d.status()), v);
              job_.*m = *d;
              return true;
            },
            [&](fsm::StringMap fsm::Job::*m) {
              if (v.kind != K::kObject) {
                return Refuse(error, FieldMessage(name, "an object of strings", v), v);
              }
              Push(Frame{Frame::kMap, &(job_.*m), &key_errors_[i], i});
              return true;
            },
            [&](std::vector<std::string> fsm::Job::*) {
              if (v.kind != K::kArray) {
                return Refuse(error, FieldMessage(name, "an array of strings", v), v);
              }
              Push(Frame{Frame::kStrings});
              return true;
            },
            [&](Processors fsm::Job::*) {
              if (v.kind != K::kObject) {
                return Refuse(error, FieldMessage(name, "an object of objects", v), v);
              }
              Push(Frame{Frame::kProcessors});
              return true;
            },
        },
        kFields[i].member);
  }

  // A string of the right type that does not parse (times, durations).
  static std::string ValueMessage(std::string_view field, const Status& why) {
    return "Unable to parse payload: field \"" + std::string(field) + "\": " + why.message() + ".";
  }

  // A key for field `i` (again): it decodes from scratch.
  void ResetField(std::size_t i) {
    errors_[i].clear();
    key_errors_[i].clear();
    std::visit([&](auto m) { job_.*m = {}; }, kFields[i].member);
    if (i == kProcessors) processor_errors_.clear();
  }

  struct ProcessorErrors {
    std::string self;  // the config is not an object
    KeyErrors keys;
  };

  fsm::Job job_;
  // frames_[depth_] is the innermost container being decoded: the body,
  // the job object, a field's object or array, a processor's config.
  std::array<Frame, 4> frames_;
  std::size_t depth_ = 0;
  // > 0 while inside a container that is skipped: its nesting depth.
  std::size_t skip_ = 0;
  int field_ = kUnknownField;  // the job field whose value comes next
  std::string key_;            // kMap: the entry whose value comes next
  std::string processor_;      // kProcessors: the processor whose config comes next

  bool top_is_object_ = false;
  std::string syntax_error_;
  // Per field (kFields order): a wrong type or value of the field itself,
  // and for objects of strings, bad entries.
  std::array<std::string, kFields.size()> errors_;
  std::array<KeyErrors, kFields.size()> key_errors_;
  std::map<std::string, ProcessorErrors> processor_errors_;
};

}  // namespace

Result<fsm::Job> JobFromJson(std::string_view body) {
  JobSax sax;
  // strict: nothing but whitespace may follow the value, as json::parse.
  json::sax_parse(body.begin(), body.end(), &sax, json::input_format_t::json, /*strict=*/true);
  return std::move(sax).Finish();
}

}  // namespace ckron::api
