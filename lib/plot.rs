//! Inline SVG charts for the notebooks.
//!
//! Every helper draws with `plotters` into an in-memory SVG string and returns a
//! [`Chart`]. In the evcxr kernel a `Chart` left as the last expression of a cell shows
//! up as an `image/svg+xml` output; outside a notebook, [`Chart::to_svg_string`] gives
//! the markup (for tests or for saving with [`Chart::save`]).
//!
//! Every chart takes its title and `axes`, the titles of its x and y axes, as in
//! matplotlib's `plt.title`, `plt.xlabel` and `plt.ylabel`. An axis whose values are all
//! whole numbers (an index, a number of topics) gets whole-number ticks.
//!
//! evcxr keeps one output per MIME type and cell, so show one chart per cell, or put
//! several into one [`Html`] block (see [`slider`]).

use crate::{Error, Result};
use plotters::coord::Shift;
use plotters::prelude::*;
use plotters::style::text_anchor::{HPos, Pos, VPos};
use std::fmt::Write as _;
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Default size of a chart, in pixels.
pub const SIZE: (u32, u32) = (720, 400);

/// A rendered chart: a complete SVG document.
#[derive(Clone, Debug, PartialEq)]
pub struct Chart {
    svg: String,
}

impl Chart {
    /// Wraps SVG markup that is already complete.
    pub fn from_svg(svg: impl Into<String>) -> Self {
        Chart { svg: svg.into() }
    }

    /// The SVG markup.
    pub fn as_str(&self) -> &str {
        &self.svg
    }

    /// The SVG markup, as an owned string.
    pub fn to_svg_string(&self) -> String {
        self.svg.clone()
    }

    /// Writes the SVG to `path` (through a temporary file, then a rename).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<()> {
        let path = path.as_ref();
        let tmp = path.with_extension("svg.tmp");
        std::fs::write(&tmp, self.svg.as_bytes()).map_err(|e| Error::io(&tmp, e))?;
        std::fs::rename(&tmp, path).map_err(|e| Error::io(path, e))
    }

    /// Shows the chart inline in evcxr (called by the kernel).
    pub fn evcxr_display(&self) {
        println!(
            "EVCXR_BEGIN_CONTENT image/svg+xml\n{}\nEVCXR_END_CONTENT",
            self.svg
        );
    }
}

impl std::fmt::Display for Chart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.svg)
    }
}

/// A block of HTML that evcxr shows inline (used for several charts in one output).
#[derive(Clone, Debug, PartialEq)]
pub struct Html {
    html: String,
}

impl Html {
    /// Wraps HTML markup.
    pub fn new(html: impl Into<String>) -> Self {
        Html { html: html.into() }
    }

    /// The HTML markup.
    pub fn as_str(&self) -> &str {
        &self.html
    }

    /// Shows the HTML inline in evcxr (called by the kernel).
    pub fn evcxr_display(&self) {
        println!(
            "EVCXR_BEGIN_CONTENT text/html\n{}\nEVCXR_END_CONTENT",
            self.html
        );
    }
}

fn plot_err(e: impl std::fmt::Display) -> Error {
    Error::Plot(e.to_string())
}

/// Draws into a fresh SVG string of the given size.
fn render<F>(size: (u32, u32), draw: F) -> Result<Chart>
where
    F: FnOnce(&DrawingArea<SVGBackend, Shift>) -> Result<()>,
{
    let mut buf = String::new();
    {
        let root = SVGBackend::with_string(&mut buf, size).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        draw(&root)?;
        root.present().map_err(plot_err)?;
    }
    Ok(Chart { svg: buf })
}

fn check_finite(what: &'static str, values: &[f64]) -> Result<()> {
    if values.is_empty() {
        return Err(Error::param(what, "nothing to plot (empty data)"));
    }
    if values.iter().any(|v| !v.is_finite()) {
        return Err(Error::param(what, "data holds NaN or infinite values"));
    }
    Ok(())
}

/// `(min, max)` of `values`, widened a little (and made non-empty) for an axis.
fn padded_range(values: impl Iterator<Item = f64>) -> (f64, f64) {
    let (lo, hi) = values.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), v| {
        (lo.min(v), hi.max(v))
    });
    if !lo.is_finite() || !hi.is_finite() {
        return (0.0, 1.0);
    }
    let span = hi - lo;
    let pad = if span > 0.0 {
        0.05 * span
    } else {
        0.5 * lo.abs().max(1.0)
    };
    (lo - pad, hi + pad)
}

/// Titles of a chart's axes: `(x axis, y axis)`, e.g. `("index i", "singular value")`.
pub type Axes<'a> = (&'a str, &'a str);

/// Font of chart titles, axis titles and tick labels.
const TITLE_FONT: (&str, u32) = ("sans-serif", 22);
const AXIS_TITLE_FONT: (&str, u32) = ("sans-serif", 16);

/// Tick positions for an axis from `lo` to `hi`: multiples of a round step (1, 2 or 5
/// times a power of ten) giving at most about ten ticks; at least 1 apart when `whole`,
/// so that an index axis reads 0, 1, 2 ... and never 0.5.
fn ticks(lo: f64, hi: f64, whole: bool) -> (Vec<f64>, f64) {
    let span = (hi - lo).max(f64::MIN_POSITIVE);
    let raw = span / 10.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let mut step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|&s| s >= raw)
        .unwrap_or(10.0 * magnitude);
    if whole {
        step = step.max(1.0).round();
    }
    let first = (lo / step).ceil() as i64;
    let last = (hi / step).floor() as i64;
    let points = (first..=last).map(|k| k as f64 * step).collect();
    (points, step)
}

/// A tick label with as many decimals as the step between ticks needs.
fn tick_label(v: f64, step: f64) -> String {
    let decimals = (-step.log10().floor()).clamp(0.0, 6.0) as usize;
    format!("{v:.decimals$}")
}

/// A linear f64 axis whose ticks are exactly `ticks` (plotters' own f64 axis picks
/// fractional steps on short index ranges, e.g. 0.0, 0.5, 1.0 for ten points).
struct TickedAxis {
    linear: plotters::coord::types::RangedCoordf64,
    ticks: Vec<f64>,
}

impl TickedAxis {
    fn new(lo: f64, hi: f64, ticks: Vec<f64>) -> Self {
        TickedAxis {
            linear: (lo..hi).into(),
            ticks,
        }
    }
}

impl Ranged for TickedAxis {
    type ValueType = f64;
    // Labels come from each chart's own formatter; this only satisfies plotters' bound.
    type FormatOption = plotters::coord::ranged1d::DefaultFormatting;

    fn map(&self, value: &f64, limit: (i32, i32)) -> i32 {
        self.linear.map(value, limit)
    }

    fn key_points<Hint: plotters::coord::ranged1d::KeyPointHint>(&self, hint: Hint) -> Vec<f64> {
        // Light (minor) grid lines are not drawn on these axes.
        if hint.weight().allow_light_points() {
            Vec::new()
        } else {
            self.ticks.clone()
        }
    }

    fn range(&self) -> std::ops::Range<f64> {
        self.linear.range()
    }
}

/// Width in pixels for row labels left of a chart (bars, heatmap rows): room for the
/// longest label at the tick font and for the axis title beside it.
fn label_area(labels: &[&str]) -> u32 {
    let longest = labels.iter().map(|l| l.chars().count()).max().unwrap_or(0) as u32;
    (40 + 7 * longest).clamp(80, 360)
}

/// The middles 0.5, 1.5, ... of `n` unit slots: where a bar's or a cell's label goes.
fn slot_middles(n: usize) -> Vec<f64> {
    (0..n).map(|k| k as f64 + 0.5).collect()
}

/// The label of the slot whose middle is `at`; slots count from the top when `top_down`.
fn slot_label(labels: &[&str], at: f64, top_down: bool) -> String {
    let n = labels.len();
    let k = at.floor() as usize;
    match (k < n, top_down) {
        (true, true) => labels[n - 1 - k].to_string(),
        (true, false) => labels[k].to_string(),
        (false, _) => String::new(),
    }
}

fn all_whole(values: impl Iterator<Item = f64>) -> bool {
    values.into_iter().all(|v| v.fract() == 0.0)
}

/// One axis of a chart: its range and ticks, the label of a tick, grid lines at the ticks
/// or not, and the font of the tick labels (plotters' default when `None`).
struct Axis<'l> {
    coords: TickedAxis,
    label: Box<dyn Fn(&f64) -> String + 'l>,
    grid: bool,
    font: Option<(&'static str, u32)>,
}

impl<'l> Axis<'l> {
    /// A value axis from `lo` to `hi` with round [`ticks`] (whole numbers when `whole`) and
    /// grid lines.
    fn values(lo: f64, hi: f64, whole: bool) -> Self {
        let (points, step) = ticks(lo, hi, whole);
        Axis {
            coords: TickedAxis::new(lo, hi, points),
            label: Box::new(move |v| tick_label(*v, step)),
            grid: true,
            font: None,
        }
    }

    /// One unit slot per name (counted from the top when `top_down`), labeled at its middle,
    /// without grid lines.
    fn slots(names: &'l [&'l str], top_down: bool) -> Self {
        let n = names.len();
        Axis {
            coords: TickedAxis::new(0.0, n as f64, slot_middles(n)),
            label: Box::new(move |v| slot_label(names, *v, top_down)),
            grid: false,
            font: None,
        }
    }

    field_setters! {
        /// Grid lines at the ticks or not.
        grid: bool,
        /// Font of the tick labels.
        font: Option<(&'static str, u32)>,
    }
}

/// A chart being drawn into an SVG string, on two [`TickedAxis`] axes.
type SvgChart<'a, 'b> = ChartContext<'a, SVGBackend<'b>, Cartesian2d<TickedAxis, TickedAxis>>;

/// The frame every chart shares: the caption, a margin, room for tick labels and axis titles
/// (`label_areas` = (below the x axis, left of the y axis), in pixels), and the mesh: the
/// axes `x` and `y` with their tick labels and grid lines, titled by `axes`. Each chart then
/// draws its own series into it.
fn framed<'a, 'b>(
    root: &'a DrawingArea<SVGBackend<'b>, Shift>,
    title: &str,
    axes: Axes,
    label_areas: (u32, u32),
    x: Axis,
    y: Axis,
) -> Result<SvgChart<'a, 'b>> {
    let mut chart = ChartBuilder::on(root)
        .caption(title, TITLE_FONT)
        .margin(12)
        .x_label_area_size(label_areas.0)
        .y_label_area_size(label_areas.1)
        .build_cartesian_2d(x.coords, y.coords)
        .map_err(plot_err)?;
    let mut mesh = chart.configure_mesh();
    if !x.grid {
        mesh.disable_x_mesh();
    }
    if !y.grid {
        mesh.disable_y_mesh();
    }
    if let Some(font) = x.font {
        mesh.x_label_style(font);
    }
    if let Some(font) = y.font {
        mesh.y_label_style(font);
    }
    mesh.x_label_formatter(&*x.label)
        .y_label_formatter(&*y.label)
        .x_desc(axes.0)
        .y_desc(axes.1)
        .axis_desc_style(AXIS_TITLE_FONT)
        .draw()
        .map_err(plot_err)?;
    Ok(chart)
}

/// A line through `values[0], values[1], ...` against their index (e.g. singular values).
///
/// ```
/// let chart = topicmod::plot::line_chart("Singular values", ("index i", "s_i"), &[5.0, 3.0, 1.0])?;
/// assert!(chart.as_str().contains("index i"));
/// # Ok::<(), topicmod::Error>(())
/// ```
pub fn line_chart(title: &str, axes: Axes, values: &[f64]) -> Result<Chart> {
    let xs: Vec<f64> = (0..values.len()).map(|i| i as f64).collect();
    line_chart_xy(title, axes, &xs, values)
}

/// A line through the points `(xs[i], ys[i])`.
pub fn line_chart_xy(title: &str, axes: Axes, xs: &[f64], ys: &[f64]) -> Result<Chart> {
    if xs.len() != ys.len() {
        return Err(Error::ShapeMismatch(format!(
            "{} x values but {} y values",
            xs.len(),
            ys.len()
        )));
    }
    check_finite("xs", xs)?;
    check_finite("ys", ys)?;
    let series = [(String::new(), xs.to_vec(), ys.to_vec())];
    draw_lines(title, axes, &series, false)
}

/// Several lines on one pair of axes, with a legend: each series is `(name, ys)`, all
/// plotted against the same `xs` (e.g. scores against the number of topics).
pub fn multi_line_xy<S: AsRef<str>, V: AsRef<[f64]>>(
    title: &str,
    axes: Axes,
    xs: &[f64],
    series: &[(S, V)],
) -> Result<Chart> {
    let with_xs: Vec<(&str, &[f64], &[f64])> = series
        .iter()
        .map(|(name, ys)| (name.as_ref(), xs, ys.as_ref()))
        .collect();
    multi_line_xys(title, axes, &with_xs)
}

/// Several lines on one pair of axes, with a legend, each with its own x values: each
/// series is `(name, xs, ys)` (e.g. the error of two methods against the seconds each took).
///
/// ```
/// use topicmod::plot::multi_line_xys;
/// let chart = multi_line_xys(
///     "error against time",
///     ("seconds", "error"),
///     &[("fast", vec![0.1, 0.2], vec![3.0, 2.0]), ("slow", vec![0.5, 1.0, 1.5], vec![3.0, 1.0, 0.5])],
/// )?;
/// assert!(chart.as_str().contains("slow"));
/// # Ok::<(), topicmod::Error>(())
/// ```
pub fn multi_line_xys<S: AsRef<str>, X: AsRef<[f64]>, Y: AsRef<[f64]>>(
    title: &str,
    axes: Axes,
    series: &[(S, X, Y)],
) -> Result<Chart> {
    if series.is_empty() {
        return Err(Error::param("series", "no series to plot"));
    }
    let mut all = Vec::with_capacity(series.len());
    for (name, xs, ys) in series {
        let (xs, ys) = (xs.as_ref(), ys.as_ref());
        if xs.len() != ys.len() {
            return Err(Error::ShapeMismatch(format!(
                "{} x values but {} y values in series {:?}",
                xs.len(),
                ys.len(),
                name.as_ref()
            )));
        }
        check_finite("xs", xs)?;
        check_finite("series", ys)?;
        all.push((name.as_ref().to_string(), xs.to_vec(), ys.to_vec()));
    }
    draw_lines(title, axes, &all, true)
}

/// Several lines on one pair of axes, with a legend; each series is `(name, values)`
/// plotted against its index.
pub fn multi_line<S: AsRef<str>, V: AsRef<[f64]>>(
    title: &str,
    axes: Axes,
    series: &[(S, V)],
) -> Result<Chart> {
    if series.is_empty() {
        return Err(Error::param("series", "no series to plot"));
    }
    let mut all = Vec::with_capacity(series.len());
    for (name, values) in series {
        let ys = values.as_ref();
        check_finite("series", ys)?;
        let xs: Vec<f64> = (0..ys.len()).map(|i| i as f64).collect();
        all.push((name.as_ref().to_string(), xs, ys.to_vec()));
    }
    draw_lines(title, axes, &all, true)
}

/// Most points a drawn line keeps; longer series are thinned to a min/max envelope.
pub const MAX_LINE_POINTS: usize = 2000;

/// Thins `(xs, ys)` to at most [`MAX_LINE_POINTS`] points, keeping each bucket's lowest
/// and highest point (in x order) so that spikes stay visible.
fn thin(xs: &[f64], ys: &[f64]) -> Vec<(f64, f64)> {
    let n = xs.len();
    if n <= MAX_LINE_POINTS {
        return xs.iter().copied().zip(ys.iter().copied()).collect();
    }
    let buckets = MAX_LINE_POINTS / 2;
    let mut out = Vec::with_capacity(MAX_LINE_POINTS);
    for b in 0..buckets {
        let (lo, hi) = (
            b * n / buckets,
            ((b + 1) * n / buckets).max(b * n / buckets + 1),
        );
        let (mut imin, mut imax) = (lo, lo);
        for i in lo..hi.min(n) {
            if ys[i] < ys[imin] {
                imin = i;
            }
            if ys[i] > ys[imax] {
                imax = i;
            }
        }
        let (first, second) = if imin <= imax {
            (imin, imax)
        } else {
            (imax, imin)
        };
        out.push((xs[first], ys[first]));
        if second != first {
            out.push((xs[second], ys[second]));
        }
    }
    out
}

fn draw_lines(
    title: &str,
    axes: Axes,
    series: &[(String, Vec<f64>, Vec<f64>)],
    legend: bool,
) -> Result<Chart> {
    let (x0, x1) = padded_range(series.iter().flat_map(|s| s.1.iter().copied()));
    let (y0, y1) = padded_range(series.iter().flat_map(|s| s.2.iter().copied()));
    let whole_x = all_whole(series.iter().flat_map(|s| s.1.iter().copied()));
    render(SIZE, |root| {
        let x = Axis::values(x0, x1, whole_x);
        let mut chart = framed(root, title, axes, (48, 80), x, Axis::values(y0, y1, false))?;
        for (i, (name, xs, ys)) in series.iter().enumerate() {
            let color = Palette99::pick(i).to_rgba();
            let drawn = chart
                .draw_series(LineSeries::new(thin(xs, ys), color.stroke_width(2)))
                .map_err(plot_err)?;
            if legend {
                drawn.label(name.as_str()).legend(move |(x, y)| {
                    PathElement::new(vec![(x, y), (x + 20, y)], color.stroke_width(2))
                });
            }
        }
        if legend {
            chart
                .configure_series_labels()
                .background_style(WHITE.mix(0.85))
                .border_style(BLACK)
                .position(SeriesLabelPosition::UpperRight)
                .draw()
                .map_err(plot_err)?;
        }
        Ok(())
    })
}

/// Horizontal bars, one per label, top to bottom in the given order
/// (e.g. a topic's top words and their weights). `axes` titles the value axis (x) and the
/// label axis (y).
pub fn bar_chart<S: AsRef<str>>(
    title: &str,
    axes: Axes,
    labels: &[S],
    values: &[f64],
) -> Result<Chart> {
    // The drawing happens in non-generic code, compiled once (optimized) in this crate.
    let labels: Vec<&str> = labels.iter().map(AsRef::as_ref).collect();
    draw_bars(title, axes, &labels, values)
}

fn draw_bars(title: &str, axes: Axes, labels: &[&str], values: &[f64]) -> Result<Chart> {
    if labels.len() != values.len() {
        return Err(Error::ShapeMismatch(format!(
            "{} labels but {} values",
            labels.len(),
            values.len()
        )));
    }
    check_finite("values", values)?;
    let n = values.len();
    let lo = values.iter().copied().fold(0.0_f64, f64::min);
    let hi = values.iter().copied().fold(0.0_f64, f64::max);
    let span = if hi > lo { hi - lo } else { 1.0 };
    let (x0, x1) = (lo - 0.02 * span * (lo < 0.0) as u8 as f64, hi + 0.05 * span);
    let height = (110 + 26 * n as u32).clamp(220, 800);
    render((SIZE.0, height), |root| {
        // Bar i fills the slot from row n-1-i to n-i (the first label on top), and its label
        // sits at the slot's middle.
        let (x, y) = (Axis::values(x0, x1, false), Axis::slots(labels, true));
        let mut chart = framed(root, title, axes, (48, label_area(labels)), x, y)?;
        chart
            .draw_series(values.iter().enumerate().map(|(i, &v)| {
                let row = (n - 1 - i) as f64;
                let (a, b) = if v >= 0.0 { (0.0, v) } else { (v, 0.0) };
                let mut bar = Rectangle::new([(a, row), (b, row + 1.0)], BLUE.mix(0.7).filled());
                bar.set_margin(3, 3, 0, 0);
                bar
            }))
            .map_err(plot_err)?;
        Ok(())
    })
}

/// A table of numbers as a grid of cells, darker for larger values, each cell labeled with
/// its value (e.g. a contingency table: true groups as rows, topics as columns). The first
/// row is drawn on top; `axes` titles the columns (x) and the rows (y).
pub fn heatmap<R: AsRef<str>, C: AsRef<str>>(
    title: &str,
    axes: Axes,
    row_labels: &[R],
    col_labels: &[C],
    values: &ndarray::Array2<f64>,
) -> Result<Chart> {
    let rows: Vec<&str> = row_labels.iter().map(AsRef::as_ref).collect();
    let cols: Vec<&str> = col_labels.iter().map(AsRef::as_ref).collect();
    draw_heatmap(title, axes, &rows, &cols, values.view())
}

fn draw_heatmap(
    title: &str,
    axes: Axes,
    rows: &[&str],
    cols: &[&str],
    values: ndarray::ArrayView2<f64>,
) -> Result<Chart> {
    let (nr, nc) = values.dim();
    if rows.len() != nr || cols.len() != nc {
        return Err(Error::ShapeMismatch(format!(
            "{} row and {} column labels for a {nr} x {nc} table",
            rows.len(),
            cols.len()
        )));
    }
    let flat: Vec<f64> = values.iter().copied().collect();
    check_finite("values", &flat)?;
    let max = flat.iter().copied().fold(0.0_f64, f64::max);
    let scale = if max > 0.0 { max } else { 1.0 };
    let width = (230 + 130 * nc as u32).clamp(420, 960);
    let height = (130 + 48 * nr as u32).clamp(260, 800);
    render((width, height), |root| {
        // Cell (i, j) fills the unit square from (j, nr-1-i): the first row on top.
        let font = Some(("sans-serif", 15));
        let x = Axis::slots(cols, false).font(font);
        let y = Axis::slots(rows, true).font(font);
        let mut chart = framed(root, title, axes, (56, label_area(rows)), x, y)?;
        let shade = |t: f64| {
            let mix = |full: u8| (255.0 - t * (255.0 - full as f64)).round() as u8;
            RGBColor(mix(31), mix(119), mix(180))
        };
        chart
            .draw_series(values.indexed_iter().map(|((i, j), &v)| {
                let (x, y) = (j as f64, (nr - 1 - i) as f64);
                Rectangle::new([(x, y), (x + 1.0, y + 1.0)], shade(v / scale).filled())
            }))
            .map_err(plot_err)?;
        chart
            .draw_series(values.indexed_iter().map(|((i, j), &v)| {
                let color: &'static RGBColor = if v / scale > 0.55 { &WHITE } else { &BLACK };
                let style = TextStyle::from(("sans-serif", 16).into_font())
                    .color(color)
                    .pos(Pos::new(HPos::Center, VPos::Center));
                let label = if v.fract() == 0.0 {
                    format!("{v:.0}")
                } else {
                    format!("{v:.2}")
                };
                Text::new(label, (j as f64 + 0.5, (nr - 1 - i) as f64 + 0.5), style)
            }))
            .map_err(plot_err)?;
        Ok(())
    })
}

/// Counts of `values` in `bins` equal-width bins between their min and max; `axes.1`
/// titles the count axis (e.g. "posts").
pub fn histogram(title: &str, axes: Axes, values: &[f64], bins: usize) -> Result<Chart> {
    if bins == 0 {
        return Err(Error::param("bins", "need at least one bin"));
    }
    check_finite("values", values)?;
    let (lo, hi) = values
        .iter()
        .fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), &v| {
            (lo.min(v), hi.max(v))
        });
    let width = if hi > lo {
        (hi - lo) / bins as f64
    } else {
        1.0
    };
    let mut counts = vec![0usize; bins];
    for &v in values {
        let k = (((v - lo) / width) as usize).min(bins - 1);
        counts[k] += 1;
    }
    let top = *counts.iter().max().unwrap_or(&1) as f64;
    render(SIZE, |root| {
        let x = Axis::values(lo, lo + width * bins as f64, false).grid(false);
        let y = Axis::values(0.0, top * 1.08, true);
        let mut chart = framed(root, title, axes, (48, 80), x, y)?;
        chart
            .draw_series(counts.iter().enumerate().map(|(k, &c)| {
                let a = lo + width * k as f64;
                Rectangle::new([(a, 0.0), (a + width, c as f64)], BLUE.mix(0.6).filled())
            }))
            .map_err(plot_err)?;
        Ok(())
    })
}

static NEXT_ID: AtomicUsize = AtomicUsize::new(0);

/// Animates a straight line `y = a x + b` fitting the points `(xs, ys)`: one frame per
/// `(a, b)` in `frames`, `frame_ms` milliseconds each, looping.
///
/// Pure SVG with SMIL `<animate>` (no script), so it plays in Jupyter Lab (which shows
/// SVG as an image) and in the HTML export. Viewers without SMIL show the last frame.
pub fn animate_line_fit(
    title: &str,
    axes: Axes,
    xs: &[f64],
    ys: &[f64],
    frames: &[(f64, f64)],
    frame_ms: u32,
) -> Result<Chart> {
    if xs.len() != ys.len() {
        return Err(Error::ShapeMismatch(format!(
            "{} x values but {} y values",
            xs.len(),
            ys.len()
        )));
    }
    check_finite("xs", xs)?;
    check_finite("ys", ys)?;
    if frames.is_empty() {
        return Err(Error::param("frames", "need at least one frame"));
    }
    if frames.iter().any(|(a, b)| !a.is_finite() || !b.is_finite()) {
        return Err(Error::param(
            "frames",
            "a frame holds NaN or infinite values",
        ));
    }
    if frame_ms == 0 {
        return Err(Error::param("frame_ms", "must be positive"));
    }
    let (x0, x1) = padded_range(xs.iter().copied());
    let (y0, y1) = padded_range(ys.iter().copied());
    // Pixel geometry of each frame's line, found while plotters draws the static parts.
    let mut lines: Vec<(i32, i32, i32, i32)> = Vec::with_capacity(frames.len());
    let mut clip = (0, 0, 0, 0);
    let mut chart_svg = render(SIZE, |root| {
        let (x, y) = (Axis::values(x0, x1, false), Axis::values(y0, y1, false));
        let mut chart = framed(root, title, axes, (48, 80), x, y)?;
        chart
            .draw_series(
                xs.iter()
                    .zip(ys)
                    .map(|(&x, &y)| Circle::new((x, y), 3, RED.filled())),
            )
            .map_err(plot_err)?;
        let (px, py) = chart.plotting_area().get_pixel_range();
        clip = (px.start, py.start, px.end - px.start, py.end - py.start);
        for &(a, b) in frames {
            let p = chart.backend_coord(&(x0, a * x0 + b));
            let q = chart.backend_coord(&(x1, a * x1 + b));
            lines.push((p.0, p.1, q.0, q.1));
        }
        Ok(())
    })?
    .svg;

    let id = NEXT_ID.fetch_add(1, Ordering::Relaxed);
    let n = frames.len();
    let dur = frame_ms as f64 * n as f64 / 1000.0;
    let key_times: Vec<String> = (0..n)
        .map(|i| format!("{:.6}", i as f64 / n as f64))
        .collect();
    let key_times = key_times.join(";");
    let mut extra = String::new();
    let _ = write!(
        extra,
        r#"<defs><clipPath id="tm-clip-{id}"><rect x="{}" y="{}" width="{}" height="{}"/></clipPath></defs><g class="tm-frames" clip-path="url(#tm-clip-{id})">"#,
        clip.0, clip.1, clip.2, clip.3
    );
    for (i, (&(ax, ay, bx, by), &(a, b))) in lines.iter().zip(frames).enumerate() {
        let shown = i + 1 == n;
        let values: Vec<&str> = (0..n)
            .map(|j| if j == i { "visible" } else { "hidden" })
            .collect();
        let _ = write!(
            extra,
            r#"<g class="tm-frame" visibility="{}"><animate attributeName="visibility" calcMode="discrete" dur="{dur:.3}s" repeatCount="indefinite" keyTimes="{key_times}" values="{}"/><line x1="{ax}" y1="{ay}" x2="{bx}" y2="{by}" stroke="blue" stroke-width="2"/><text x="{}" y="{}" font-family="sans-serif" font-size="15">frame {}/{n}: y = {a:.3} x + {b:.3}</text></g>"#,
            if shown { "visible" } else { "hidden" },
            values.join(";"),
            clip.0 + 10,
            clip.1 + 20,
            i + 1,
        );
    }
    extra.push_str("</g>");
    let end = chart_svg
        .rfind("</svg>")
        .ok_or_else(|| Error::Plot("rendered SVG has no closing tag".into()))?;
    chart_svg.insert_str(end, &extra);
    Ok(Chart { svg: chart_svg })
}

/// An HTML slider over pre-rendered charts: dragging it shows chart `i` of `frames`
/// (each `(caption, chart)`); `start` is shown first.
///
/// The switch is a one-line inline `oninput` handler. It works in a trusted notebook in
/// Jupyter Lab and in the HTML export; in an untrusted notebook Lab does not show HTML
/// with SVG at all until the cell is run again (or the notebook is trusted).
pub fn slider(label: &str, frames: &[(String, Chart)], start: usize) -> Result<Html> {
    if frames.is_empty() {
        return Err(Error::param("frames", "need at least one chart"));
    }
    if start >= frames.len() {
        return Err(Error::param(
            "start",
            format!(
                "{start} is not below the number of charts ({})",
                frames.len()
            ),
        ));
    }
    let esc = |s: &str| {
        s.replace('&', "&amp;")
            .replace('<', "&lt;")
            .replace('>', "&gt;")
            .replace('"', "&quot;")
    };
    let mut html = String::new();
    let _ = write!(
        html,
        r#"<div class="tm-slider"><label>{} <input type="range" min="0" max="{}" step="1" value="{start}" oninput="var fs=this.closest('.tm-slider').querySelectorAll('.tm-slide');for(var i=0;i&lt;fs.length;i++){{fs[i].style.display=(i==this.value)?'block':'none';}}"></label>"#,
        esc(label),
        frames.len() - 1
    );
    for (i, (caption, chart)) in frames.iter().enumerate() {
        let _ = write!(
            html,
            r#"<div class="tm-slide" style="display:{}"><div><b>{}</b></div>{}</div>"#,
            if i == start { "block" } else { "none" },
            esc(caption),
            strip_xml_prolog(chart.as_str())
        );
    }
    html.push_str("</div>");
    Ok(Html { html })
}

fn strip_xml_prolog(svg: &str) -> &str {
    match svg.find("<svg") {
        Some(i) => &svg[i..],
        None => svg,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn count(h: &str, needle: &str) -> usize {
        h.matches(needle).count()
    }

    #[test]
    fn heatmap_has_a_cell_and_a_label_per_entry() {
        let v = ndarray::array![[12.0, 0.0, 3.0], [1.0, 40.0, 2.0]];
        let c = heatmap(
            "groups x topics",
            ("topic", "newsgroup"),
            &["alt.atheism", "sci.space"],
            &["t0", "t1", "t2"],
            &v,
        )
        .unwrap();
        let s = c.to_svg_string();
        let texts: Vec<&str> = s.split(['<', '>']).map(str::trim).collect();
        for label in [
            "groups x topics",
            "alt.atheism",
            "sci.space",
            "t2",
            "40",
            "12",
            "0",
        ] {
            assert!(texts.contains(&label), "{label} missing in {s}");
        }
        assert!(count(&s, "<rect") >= 6);
        assert!(heatmap("x", ("c", "r"), &["a"], &["t0", "t1", "t2"], &v).is_err());
        let bad = ndarray::array![[f64::NAN]];
        assert!(heatmap("x", ("c", "r"), &["a"], &["b"], &bad).is_err());
    }

    #[test]
    fn multi_line_xy_checks_its_lengths() {
        let xs = [4.0, 5.0, 6.0];
        let c = multi_line_xy(
            "scores by k",
            ("k", "score"),
            &xs,
            &[("NMI", [0.3, 0.4, 0.35]), ("ARI", [0.2, 0.3, 0.1])],
        )
        .unwrap();
        assert!(count(&c.to_svg_string(), "<polyline") >= 2);
        assert!(c.to_svg_string().contains("NMI"));
        assert!(multi_line_xy("x", ("k", "s"), &xs, &[("a", [1.0, 2.0])]).is_err());
        assert!(multi_line_xy::<&str, [f64; 3]>("x", ("k", "s"), &xs, &[]).is_err());
    }

    #[test]
    fn multi_line_xys_draws_series_of_their_own_lengths() {
        let c = multi_line_xys(
            "error against time",
            ("seconds", "error"),
            &[
                ("GD", vec![0.1, 0.2, 0.3], vec![3.0, 2.5, 2.0]),
                ("SGD", vec![1.0, 2.0], vec![2.0, 1.0]),
            ],
        )
        .unwrap();
        let s = c.to_svg_string();
        assert!(count(&s, "<polyline") >= 2);
        assert!(s.contains("GD") && s.contains("SGD") && s.contains("seconds"));
        let bad = [("a", vec![1.0, 2.0], vec![1.0])];
        assert!(matches!(
            multi_line_xys("x", ("t", "e"), &bad),
            Err(Error::ShapeMismatch(_))
        ));
        let nan = [("a", vec![1.0, f64::NAN], vec![1.0, 2.0])];
        assert!(multi_line_xys("x", ("t", "e"), &nan).is_err());
        assert!(multi_line_xys::<&str, Vec<f64>, Vec<f64>>("x", ("t", "e"), &[]).is_err());
    }

    #[test]
    fn line_chart_is_an_svg_with_a_polyline_and_title() {
        let c = line_chart("singular values", ("i", "s_i"), &[5.0, 3.0, 1.0, 0.5]).unwrap();
        let s = c.to_svg_string();
        assert!(s.contains("<svg"));
        assert!(s.trim_end().ends_with("</svg>"));
        assert!(s.contains("singular values"));
        assert!(s.contains("<polyline"));
    }

    #[test]
    fn xy_needs_matching_lengths_and_finite_data() {
        assert!(matches!(
            line_chart_xy("t", ("x", "y"), &[1.0, 2.0], &[1.0]),
            Err(Error::ShapeMismatch(_))
        ));
        assert!(line_chart("t", ("x", "y"), &[]).is_err());
        assert!(line_chart("t", ("x", "y"), &[1.0, f64::NAN]).is_err());
        let c = line_chart_xy("xy", ("x", "y"), &[0.0, 1.0, 2.0], &[1.0, 1.0, 1.0]).unwrap();
        assert!(c.as_str().contains("<polyline"));
    }

    #[test]
    fn long_lines_are_thinned_but_keep_spikes() {
        let mut ys = vec![0.0; 30_000];
        ys[12_345] = 9.0;
        let xs: Vec<f64> = (0..ys.len()).map(|i| i as f64).collect();
        let pts = thin(&xs, &ys);
        assert!(pts.len() <= MAX_LINE_POINTS);
        assert!(pts.contains(&(12_345.0, 9.0)));
        let c = line_chart("long", ("x", "y"), &ys).unwrap();
        assert!(c.as_str().len() < 100_000);
    }

    #[test]
    fn multi_line_draws_each_series_and_a_legend() {
        let c = multi_line(
            "errors",
            ("step", "error"),
            &[
                ("dense", vec![3.0, 2.0, 1.0]),
                ("sparse", vec![3.0, 1.5, 0.5]),
            ],
        )
        .unwrap();
        let s = c.as_str();
        // Two data lines plus two legend samples.
        assert!(count(s, "<polyline") >= 2);
        assert!(s.contains("dense") && s.contains("sparse"));
        assert!(multi_line::<&str, Vec<f64>>("e", ("x", "y"), &[]).is_err());
    }

    #[test]
    fn bar_chart_has_one_rect_per_bar_and_all_labels() {
        let words = ["jpeg", "image", "gif", "file"];
        let c = bar_chart(
            "top words",
            ("weight", "word"),
            &words,
            &[4.0, 3.0, 2.5, 1.0],
        )
        .unwrap();
        let s = c.as_str();
        for w in words {
            assert!(s.contains(w), "missing label {w}");
        }
        // Background + 4 bars at least.
        assert!(count(s, "<rect") >= 5);
        assert!(bar_chart("x", ("v", "l"), &["a"], &[1.0, 2.0]).is_err());
    }

    #[test]
    fn histogram_counts_into_bins() {
        let data: Vec<f64> = (0..100).map(|i| (i % 10) as f64 / 10.0).collect();
        let c = histogram("ratios", ("ratio", "pairs"), &data, 5).unwrap();
        let s = c.as_str();
        assert!(s.contains("ratios"));
        assert!(count(s, "<rect") >= 6);
        assert!(matches!(
            histogram("h", ("x", "n"), &data, 0),
            Err(Error::InvalidParameter { .. })
        ));
        // A constant sample still plots.
        assert!(histogram("h", ("x", "n"), &[1.0; 4], 3).is_ok());
    }

    #[test]
    fn animation_has_one_animated_group_per_frame_and_shows_the_last() {
        let xs: Vec<f64> = (0..20).map(|i| i as f64 / 20.0).collect();
        let ys: Vec<f64> = xs.iter().map(|x| 3.0 * x + 8.0).collect();
        let frames: Vec<(f64, f64)> = (0..5).map(|i| (i as f64 * 0.75, i as f64 * 2.0)).collect();
        let c = animate_line_fit("fit", ("x", "y"), &xs, &ys, &frames, 200).unwrap();
        let s = c.as_str();
        assert_eq!(count(s, "class=\"tm-frame\""), 5);
        assert_eq!(count(s, "<animate "), 5);
        assert_eq!(count(s, "repeatCount=\"indefinite\""), 5);
        assert_eq!(count(s, "visibility=\"visible\"><animate"), 1);
        assert!(s.contains("dur=\"1.000s\""));
        assert!(s.contains("y = 3.000 x + 8.000"));
        assert!(!s.contains("<script"));
        let close = s.rfind("</svg>").unwrap();
        assert!(s[..close].rfind("tm-frames").is_some());
        assert!(animate_line_fit("fit", ("x", "y"), &xs, &ys, &[], 200).is_err());
        assert!(animate_line_fit("fit", ("x", "y"), &xs, &ys, &frames, 0).is_err());
    }

    #[test]
    fn slider_holds_every_chart_and_shows_one() {
        let frames: Vec<(String, Chart)> = [3usize, 5, 10]
            .iter()
            .map(|&k| {
                let v: Vec<f64> = (0..k).map(|i| (k - i) as f64).collect();
                (format!("k = {k}"), line_chart("s", ("i", "s"), &v).unwrap())
            })
            .collect();
        let h = slider("k", &frames, 1).unwrap();
        let s = h.as_str();
        assert_eq!(count(s, "<svg"), 3);
        assert_eq!(count(s, "class=\"tm-slide\""), 3);
        assert_eq!(count(s, "display:block"), 1);
        assert!(s.contains("type=\"range\"") && s.contains("max=\"2\""));
        assert!(!s.contains("<?xml"));
        assert!(slider("k", &frames, 3).is_err());
        assert!(slider("k", &[], 0).is_err());
    }

    /// The text of every `<text>` element of an SVG.
    fn texts(svg: &str) -> Vec<String> {
        svg.split("<text")
            .skip(1)
            .filter_map(|t| {
                Some(
                    t.split_once('>')?
                        .1
                        .split_once("</text>")?
                        .0
                        .trim()
                        .to_string(),
                )
            })
            .collect()
    }

    #[test]
    fn every_chart_shows_its_axis_titles() {
        let v = [3.0, 2.0, 1.0];
        let axes = ("index i", "value v");
        let charts = [
            line_chart("t", axes, &v).unwrap(),
            multi_line("t", axes, &[("a", v)]).unwrap(),
            multi_line_xy("t", axes, &[1.0, 2.0, 3.0], &[("a", v)]).unwrap(),
            bar_chart("t", axes, &["a", "b", "c"], &v).unwrap(),
            histogram("t", axes, &v, 2).unwrap(),
            heatmap("t", axes, &["r"], &["c"], &ndarray::array![[1.0]]).unwrap(),
            animate_line_fit("t", axes, &v, &v, &[(1.0, 0.0)], 100).unwrap(),
        ];
        for (k, c) in charts.iter().enumerate() {
            let t = texts(c.as_str());
            assert!(
                t.iter().any(|s| s == axes.0) && t.iter().any(|s| s == axes.1),
                "chart {k} lacks an axis title: {t:?}"
            );
        }
    }

    #[test]
    fn index_axes_have_whole_number_ticks() {
        for n in [2usize, 3, 7, 10, 11, 45, 2034] {
            let (lo, hi) = padded_range((0..n).map(|i| i as f64));
            let (ticks, step) = ticks(lo, hi, true);
            assert!(step >= 1.0, "n = {n}: step {step}");
            assert!(ticks.iter().all(|t| t.fract() == 0.0), "n = {n}: {ticks:?}");
            assert!((2..=11).contains(&ticks.len()), "n = {n}: {ticks:?}");
            // The chart's x labels are those ticks, written as whole numbers.
            let v: Vec<f64> = (0..n).map(|i| (n - i) as f64 + 0.25).collect();
            let svg = line_chart("s", ("index", "value"), &v).unwrap();
            let t = texts(svg.as_str());
            for tick in &ticks {
                let label = tick_label(*tick, step);
                assert!(!label.contains('.'), "{label}");
                assert!(t.contains(&label), "n = {n}: no x label {label} in {t:?}");
            }
        }
        // A real-valued axis keeps fractional ticks, with the decimals they need.
        let (t, step) = ticks(0.0, 1.0, false);
        assert!((step - 0.1).abs() < 1e-12, "{step}");
        assert_eq!(tick_label(t[3], step), "0.3");
        assert_eq!(tick_label(2.0, 0.5), "2.0");
    }

    #[test]
    fn bars_fill_the_chart_without_an_empty_slot() {
        for n in [1usize, 4, 12] {
            let labels: Vec<String> = (0..n).map(|i| format!("w{i}")).collect();
            let values: Vec<f64> = (0..n).map(|i| (i + 1) as f64).collect();
            let c = bar_chart("t", ("weight", "word"), &labels, &values).unwrap();
            let s = c.as_str();
            // Bars are the filled rectangles after the background; each is one slot high
            // less its 3 px margins, so n slots should fill the plotting area.
            let heights: Vec<f64> = s
                .split("<rect")
                .skip(2)
                .filter_map(|r| r.split("height=\"").nth(1)?.split('"').next()?.parse().ok())
                .collect();
            assert_eq!(heights.len(), n, "{s}");
            let covered: f64 = heights.iter().map(|h| h + 6.0).sum();
            let total = (110 + 26 * n as u32).clamp(220, 800) as f64;
            let plot_height = total - 2.0 * 12.0 - 48.0 - 30.0; // margins, x labels, caption
            assert!(
                covered > 0.9 * plot_height,
                "n = {n}: bars cover {covered} px of about {plot_height} (an empty slot?)"
            );
        }
    }

    #[test]
    fn save_writes_the_svg() {
        let dir = std::env::temp_dir().join(format!("topicmod-plot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("c.svg");
        let c = line_chart("saved", ("x", "y"), &[1.0, 2.0]).unwrap();
        c.save(&path).unwrap();
        assert_eq!(std::fs::read_to_string(&path).unwrap(), c.to_svg_string());
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
