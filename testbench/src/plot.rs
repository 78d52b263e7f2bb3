//! One SVG line chart (plotters) for the sweeps and benchmarks: named series of points, each
//! drawn as a line with a marker on every point, and a legend.

use std::ops::Range;
use std::path::Path;

/// Axes and labels of a [`line_chart`].
pub struct Chart<'a> {
    /// Caption above the plot.
    pub title: &'a str,
    /// Width and height in pixels.
    pub size: (u32, u32),
    /// Range of the x axis.
    pub x: Range<f64>,
    /// Range of the y axis.
    pub y: Range<f64>,
    /// Label of the x axis.
    pub x_desc: &'a str,
    /// Label of the y axis.
    pub y_desc: &'a str,
    /// Width of the y label area in pixels (room for the tick labels).
    pub y_label_width: u32,
}

/// Draws `series` (legend name, points) on `c`'s axes into the SVG file `path`; an error is the
/// plotting library's message.
pub fn line_chart(
    path: &Path,
    c: &Chart<'_>,
    series: &[(String, Vec<(f64, f64)>)],
) -> Result<(), String> {
    use plotters::prelude::*;
    let perr = |e: &dyn std::fmt::Display| e.to_string();
    let root = SVGBackend::new(path, c.size).into_drawing_area();
    root.fill(&WHITE).map_err(|e| perr(&e))?;
    let mut chart = ChartBuilder::on(&root)
        .caption(c.title, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(40)
        .y_label_area_size(c.y_label_width)
        .build_cartesian_2d(c.x.clone(), c.y.clone())
        .map_err(|e| perr(&e))?;
    chart
        .configure_mesh()
        .x_desc(c.x_desc)
        .y_desc(c.y_desc)
        .draw()
        .map_err(|e| perr(&e))?;
    for (i, (name, pts)) in series.iter().enumerate() {
        let color = Palette99::pick(i).to_rgba();
        chart
            .draw_series(LineSeries::new(pts.clone(), color.stroke_width(2)))
            .map_err(|e| perr(&e))?
            .label(name.clone())
            .legend(move |(x, y)| {
                PathElement::new(vec![(x, y), (x + 16, y)], color.stroke_width(2))
            });
        chart
            .draw_series(pts.iter().map(|p| Circle::new(*p, 3, color.filled())))
            .map_err(|e| perr(&e))?;
    }
    chart
        .configure_series_labels()
        .background_style(WHITE.mix(0.8))
        .border_style(BLACK)
        .draw()
        .map_err(|e| perr(&e))?;
    root.present().map_err(|e| perr(&e))?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn draws_every_series_with_its_legend() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("c.svg");
        let chart = Chart {
            title: "cells against N",
            size: (400, 300),
            x: 0.0..10.0,
            y: 0.0..100.0,
            x_desc: "N",
            y_desc: "cells",
            y_label_width: 50,
        };
        let series = vec![
            (
                "compact".to_string(),
                vec![(1.0, 10.0), (4.0, 40.0), (8.0, 90.0)],
            ),
            ("crossbar".to_string(), vec![(1.0, 5.0), (8.0, 20.0)]),
        ];
        line_chart(&path, &chart, &series).unwrap();
        let svg = std::fs::read_to_string(&path).unwrap();
        for text in ["cells against N", "compact", "crossbar", "cells"] {
            assert!(svg.contains(text), "{text}");
        }
        // Markers: one circle per point.
        assert_eq!(svg.matches("<circle").count(), 5);
        // A directory that does not exist is an error, not a panic.
        let bad = dir.path().join("missing").join("c.svg");
        assert!(line_chart(&bad, &chart, &series).is_err());
    }
}
