using OpenCvSharp;

namespace FaceWatch.Pipeline.Tracking;

/// <summary>
/// Constant-velocity Kalman filter of a box (centre x, centre y, width, height, each with its velocity).
/// The four coordinates move independently, so the filter is four 2-state filters (position, velocity); this is
/// the same model as SORT's, with the time step taken from real frame times so uneven frame rates are fine.
/// </summary>
public sealed class BoxKalmanFilter
{
    // Process noise: how much the velocity may change per second, relative to the box size.
    private const double AccelerationNoise = 4.0;
    // Measurement noise: detector jitter, relative to the box size.
    private const double MeasurementNoise = 0.05;

    private readonly Axis[] _axes = new Axis[4];

    public BoxKalmanFilter(Rect2f box)
    {
        Span<double> z = stackalloc double[4];
        Measure(box, z);
        var size = Math.Max(box.Width, box.Height);
        for (var i = 0; i < 4; i++)
        {
            _axes[i] = new Axis(z[i], size);
        }
    }

    /// <summary>The filtered box now.</summary>
    public Rect2f Box => ToBox(_axes[0].X, _axes[1].X, _axes[2].X, _axes[3].X);

    /// <summary>Moves the state <paramref name="dtSeconds"/> ahead and returns the predicted box.</summary>
    public Rect2f Predict(double dtSeconds)
    {
        var scale = Math.Max(_axes[2].X, _axes[3].X);
        foreach (var axis in _axes)
        {
            axis.Predict(Math.Max(0, dtSeconds), AccelerationNoise * scale);
        }

        // Width and height never go below a pixel however the velocities drift.
        _axes[2].X = Math.Max(1, _axes[2].X);
        _axes[3].X = Math.Max(1, _axes[3].X);
        return Box;
    }

    /// <summary>Where the box will be <paramref name="dtSeconds"/> ahead, without moving the state.</summary>
    public Rect2f Ahead(double dtSeconds)
    {
        var dt = Math.Max(0, dtSeconds);
        return ToBox(_axes[0].Ahead(dt), _axes[1].Ahead(dt), Math.Max(1, _axes[2].Ahead(dt)), Math.Max(1, _axes[3].Ahead(dt)));
    }

    public void Update(Rect2f box)
    {
        Span<double> z = stackalloc double[4];
        Measure(box, z);
        var r = MeasurementNoise * Math.Max(box.Width, box.Height);
        for (var i = 0; i < 4; i++)
        {
            _axes[i].Update(z[i], r * r);
        }
    }

    /// <summary>The measurement of a box, written into <paramref name="z"/> (4 values, on the caller's stack: one per matched face and frame).</summary>
    private static void Measure(Rect2f b, Span<double> z)
    {
        z[0] = b.X + (b.Width / 2.0);
        z[1] = b.Y + (b.Height / 2.0);
        z[2] = b.Width;
        z[3] = b.Height;
    }

    private static Rect2f ToBox(double cx, double cy, double w, double h) =>
        new((float)(cx - (w / 2)), (float)(cy - (h / 2)), (float)w, (float)h);

    /// <summary>State [x, v] with covariance [[p00, p01], [p01, p11]].</summary>
    private sealed class Axis
    {
        private double _v;
        private double _p00;
        private double _p01;
        private double _p11;

        public Axis(double x, double size)
        {
            X = x;
            _p00 = Math.Pow(0.1 * size, 2);
            _p11 = Math.Pow(1.0 * size, 2); // unknown velocity at birth
        }

        public double X { get; set; }

        public double Ahead(double dt) => X + (_v * dt);

        public void Predict(double dt, double accelerationSigma)
        {
            X += _v * dt;
            // P = F P F' + Q, F = [[1, dt], [0, 1]], Q from white-noise acceleration.
            var q = accelerationSigma * accelerationSigma;
            var p00 = _p00 + (2 * dt * _p01) + (dt * dt * _p11) + (q * dt * dt * dt * dt / 4);
            var p01 = _p01 + (dt * _p11) + (q * dt * dt * dt / 2);
            var p11 = _p11 + (q * dt * dt);
            (_p00, _p01, _p11) = (p00, p01, p11);
        }

        public void Update(double z, double r)
        {
            var s = _p00 + r;
            var k0 = _p00 / s;
            var k1 = _p01 / s;
            var y = z - X;
            X += k0 * y;
            _v += k1 * y;
            var p00 = (1 - k0) * _p00;
            var p01 = (1 - k0) * _p01;
            var p11 = _p11 - (k1 * _p01);
            (_p00, _p01, _p11) = (p00, p01, p11);
        }
    }
}
