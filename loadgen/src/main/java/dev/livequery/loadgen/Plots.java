package dev.livequery.loadgen;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.HdrHistogram.Histogram;
import org.HdrHistogram.HistogramIterationValue;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.XYChart;
import org.knowm.xchart.XYChartBuilder;
import org.knowm.xchart.style.markers.SeriesMarkers;

/** PNG plots next to the results JSON: the latency percentile curve per phase, throughput over time. */
final class Plots {
    private Plots() {}

    static void latency(Path file, String title, Map<String, Progress.Phase> phases) throws IOException {
        System.setProperty("java.awt.headless", "true");
        XYChart chart = new XYChartBuilder()
                .width(900)
                .height(500)
                .title(title)
                .xAxisTitle("percentile (log scale of 1/(1-p))")
                .yAxisTitle("write→client latency, ms")
                .build();
        chart.getStyler().setXAxisLogarithmic(true);
        chart.getStyler().setYAxisLogarithmic(true);
        chart.getStyler().setXAxisDecimalPattern("0.#");
        boolean any = false;
        for (Progress.Phase p : phases.values()) {
            any |= add(chart, p.name, p.latency);
            any |= add(chart, p.name + " (slow clients)", p.slowLatency);
        }
        if (any) {
            BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
        }
    }

    private static boolean add(XYChart chart, String name, Histogram h) {
        if (h.getTotalCount() < 10) {
            return false;
        }
        List<Double> x = new ArrayList<>();
        List<Double> y = new ArrayList<>();
        for (HistogramIterationValue v : h.percentiles(5)) {
            double p = v.getPercentileLevelIteratedTo() / 100.0;
            if (p >= 0.99999) {
                break;
            }
            x.add(1 / (1 - p));
            y.add(Math.max(0.01, v.getValueIteratedTo() / 1000.0));
        }
        if (x.size() < 2) {
            return false;
        }
        chart.addSeries(name, x, y).setMarker(SeriesMarkers.NONE);
        return true;
    }

    static void throughput(Path file, String title, List<Progress.Sample> samples) throws IOException {
        System.setProperty("java.awt.headless", "true");
        if (samples.size() < 2) {
            return;
        }
        XYChart chart = new XYChartBuilder()
                .width(900)
                .height(500)
                .title(title)
                .xAxisTitle("seconds")
                .yAxisTitle("per second")
                .build();
        List<Double> t = samples.stream().map(Progress.Sample::t).toList();
        chart.addSeries(
                        "deliveries/s",
                        t,
                        samples.stream().map(Progress.Sample::deliveriesPerSec).toList())
                .setMarker(SeriesMarkers.NONE);
        chart.addSeries(
                        "writes/s",
                        t,
                        samples.stream().map(Progress.Sample::writesPerSec).toList())
                .setMarker(SeriesMarkers.NONE);
        BitmapEncoder.saveBitmap(chart, file.toString(), BitmapEncoder.BitmapFormat.PNG);
    }
}
