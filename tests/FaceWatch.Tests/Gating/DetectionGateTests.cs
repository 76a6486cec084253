using FaceWatch.Pipeline.Detection;
using OpenCvSharp;

namespace FaceWatch.Tests.Gating;

/// <summary>The gate's rules, with timestamps in milliseconds (frequency 1000) and motion given directly.</summary>
public sealed class DetectionGateTests
{
    private static readonly Size Frame = new(1280, 720);
    private static readonly MotionResult Still = new(MotionState.Measured, [], 0);
    private static readonly IReadOnlyList<(Rect2f Box, int Missed)> NoTracks = [];

    [Fact]
    public void First_frame_is_scanned_whole_then_a_still_untracked_scene_is_not_scanned_at_all()
    {
        var gate = new DetectionGate(new GatingOptions(), 40, 1000);

        Assert.Equal(ScanReason.First, gate.Plan(Frame, 0, Still, NoTracks, false).Reason);
        for (var t = 66; t < 4900; t += 66)
        {
            var plan = gate.Plan(Frame, t, Still, NoTracks, false);
            Assert.Equal(ScanKind.None, plan.Kind);
            Assert.Equal(ScanReason.Still, plan.Reason);
        }
    }

    [Fact]
    public void A_full_scan_runs_every_FullScanSeconds_and_after_a_shot_cut()
    {
        var gate = new DetectionGate(new GatingOptions { FullScanSeconds = 2 }, 40, 1000);
        gate.Plan(Frame, 0, Still, NoTracks, false);

        Assert.Equal(ScanKind.None, gate.Plan(Frame, 1999, Still, NoTracks, false).Kind);
        Assert.Equal(ScanReason.Periodic, gate.Plan(Frame, 2000, Still, NoTracks, false).Reason);
        Assert.Equal(ScanKind.None, gate.Plan(Frame, 2066, Still, NoTracks, false).Kind);
        Assert.Equal(ScanReason.ShotCut, gate.Plan(Frame, 2100, Still, NoTracks, true).Reason);
    }

    [Fact]
    public void Motion_becomes_a_padded_region_on_the_grid_and_a_track_a_region_round_its_box()
    {
        var gate = new DetectionGate(new GatingOptions(), 40, 1000);
        gate.Plan(Frame, 0, Still, NoTracks, false);

        var blob = new Rect(600, 200, 100, 150);
        var plan = gate.Plan(Frame, 66, new MotionResult(MotionState.Measured, [blob], 0.02), [(new Rect2f(100, 400, 80, 80), 0)], false);

        Assert.Equal(ScanKind.Regions, plan.Kind);
        Assert.Equal(ScanReason.Motion, plan.Reason);
        Assert.Equal(2, plan.Regions.Count);
        var motion = plan.Regions.Single(r => r.Area.Contains(blob));
        Assert.Equal(40, motion.MinFace);
        Assert.True(motion.Area.X <= blob.X - 40 && motion.Area.Right >= blob.Right + 40, $"padded by a face: {motion.Area}");
        Assert.Equal(0, motion.Area.X % 16);
        var track = plan.Regions.Single(r => r != motion);
        // 2.2 x the face, centred on it; faces under half its size are not looked for.
        Assert.True(track.Area.Contains(new Rect(100, 400, 80, 80)));
        Assert.InRange(track.Area.Width, 176, 176 + 32);
        Assert.Equal(40, track.MinFace);
        Assert.True(plan.Share < 0.15);
    }

    [Fact]
    public void Touching_regions_merge_into_one_with_the_smaller_minimum_face()
    {
        var merged = DetectionGate.Merge([new DetectionRegion(new Rect(0, 0, 160, 160), 64), new DetectionRegion(new Rect(150, 100, 100, 100), 40)], Frame);

        var one = Assert.Single(merged);
        Assert.Equal(new Rect(0, 0, 256, 208), one.Area);
        Assert.Equal(40, one.MinFace);
    }

    [Fact]
    public void Motion_over_most_of_the_frame_is_a_full_scan_at_most_every_MinFullScanSeconds_and_tracks_are_followed_between()
    {
        var gate = new DetectionGate(new GatingOptions { MinFullScanSeconds = 0.5 }, 40, 1000);
        gate.Plan(Frame, 0, Still, NoTracks, false);
        var busy = new MotionResult(MotionState.Measured, [new Rect(0, 0, 1200, 700)], 0.55);
        IReadOnlyList<(Rect2f, int)> tracks = [(new Rect2f(500, 300, 100, 100), 0)];

        Assert.Equal(ScanReason.Busy, gate.Plan(Frame, 600, busy, tracks, false).Reason);
        var between = gate.Plan(Frame, 666, busy, tracks, false);
        Assert.Equal(ScanKind.Regions, between.Kind);
        Assert.Equal(ScanReason.Tracks, between.Reason);
        Assert.Single(between.Regions);
        Assert.Equal(ScanReason.Busy, gate.Plan(Frame, 1100, busy, tracks, false).Reason);
    }

    [Fact]
    public void Calibration_asks_for_full_scans_and_off_scans_every_frame_whole()
    {
        var gate = new DetectionGate(new GatingOptions(), 40, 1000);
        gate.Plan(Frame, 0, Still, NoTracks, false);
        Assert.Equal(ScanKind.None, gate.Plan(Frame, 100, MotionResult.Calibrating, NoTracks, false).Kind);
        Assert.Equal(ScanReason.Calibrating, gate.Plan(Frame, 500, MotionResult.Calibrating, NoTracks, false).Reason);

        var off = new DetectionGate(new GatingOptions { Enabled = false }, 40, 1000);
        for (var t = 0; t < 500; t += 66)
        {
            Assert.Equal(ScanReason.GatingOff, off.Plan(Frame, t, Still, NoTracks, false).Reason);
        }
    }
}
