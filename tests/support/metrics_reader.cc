#include "tests/support/metrics_reader.h"

#include "prometheus/metric_family.h"
#include "services/common/process.h"

namespace turnstile::testing {

double LocalMetric(const std::string& name,
                   const std::map<std::string, std::string>& labels) {
  for (const auto& family : Metrics().Collect()) {
    if (family.name != name) continue;
    for (const auto& metric : family.metric) {
      size_t matched = 0;
      for (const auto& pair : metric.label) {
        auto it = labels.find(pair.name);
        if (it != labels.end() && it->second == pair.value) ++matched;
      }
      if (matched != labels.size()) continue;
      switch (family.type) {
        case prometheus::MetricType::Counter:
          return metric.counter.value;
        case prometheus::MetricType::Gauge:
          return metric.gauge.value;
        case prometheus::MetricType::Histogram:
          return static_cast<double>(metric.histogram.sample_count);
        default:
          return -1;
      }
    }
  }
  return -1;
}

}  // namespace turnstile::testing
