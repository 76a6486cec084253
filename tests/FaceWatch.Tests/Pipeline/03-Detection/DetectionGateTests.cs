using FaceWatch.Pipeline.Detection;
using OpenCvSharp;

using FaceWatch.Pipeline.Capture;
using FaceWatch.Pipeline.Motion;
namespace FaceWatch.Tests.Pipeline.Detection;

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
    public void Motion_becomes_a_padded_region_on_the_grid_a_missed_track_a_region_round_its_box_and_a_found_one_a_refind()
    {
        var gate = new DetectionGate(new GatingOptions(), 40, 1000);
        gate.Plan(Frame, 0, Still, NoTracks, false);

        var blob = new Rect(600, 200, 100, 150);
        var plan = gate.Plan(Frame, 66, new MotionResult(MotionState.Measured, [blob], 0.02), [(new Rect2f(100, 400, 80, 80), 1), (new Rect2f(900, 500, 60, 60), 0)], false);

        Assert.Equal(ScanKind.Regions, plan.Kind);
        Assert.Equal(ScanReason.Motion, plan.Reason);
        Assert.Equal(2, plan.Regions.Count);
        var motion = plan.Regions.Single(r => r.Area.Contains(blob));
        Assert.Equal(40, motion.MinFace);
        Assert.True(motion.Area.X <= blob.X - 40 && motion.Area.Right >= blob.Right + 40, $"padded by a face: {motion.Area}");
        Assert.Equal(0, motion.Area.X % 16);
        var track = plan.Regions.Single(r => r != motion);
        // Missed once: 2.2 x 1.25 x the face, centred on it; faces under half its size are not looked for.
        Assert.True(track.Area.Contains(new Rect(100, 400, 80, 80)));
        Assert.InRange(track.Area.Width, 220, 220 + 32);
        // Found in the last frame: re-found by R-Net/O-Net on its predicted box, no region.
        Assert.Equal(new Rect2f(900, 500, 60, 60), Assert.Single(plan.Refind));
        Assert.Equal(40, track.MinFace);
        Assert.True(plan.Share < 0.15);
    }

    [Fact]
    public void A_track_missed_more_than_SearchMissedFrames_is_left_to_motion_and_full_scans()
    {
        var gate = new DetectionGate(new GatingOptions { SearchMissedFrames = 3 }, 40, 1000);
        gate.Plan(Frame, 0, Still, NoTracks, false);

        Assert.Single(gate.Plan(Frame, 66, Still, [(new Rect2f(500, 300, 100, 100), 3)], false).Regions);
        Assert.Equal(ScanKind.None, gate.Plan(Frame, 133, Still, [(new Rect2f(500, 300, 100, 100), 4)], false).Kind);
    }

    [Fact]
    public void Tracked_faces_that_overlap_are_searched_in_a_region_not_re_found_on_their_boxes()
    {
        var gate = new DetectionGate(new GatingOptions(), 40, 1000);
        gate.Plan(Frame, 0, Still, NoTracks, false);

        var plan = gate.Plan(Frame, 66, Still, [(new Rect2f(500, 300, 100, 100), 0), (new Rect2f(570, 310, 100, 100), 0), (new Rect2f(100, 100, 80, 80), 0)], false);

        Assert.Equal(new Rect2f(100, 100, 80, 80), Assert.Single(plan.Refind));
        Assert.True(Assert.Single(plan.Regions).Area.Contains(new Rect(500, 300, 170, 110)));
    }

    [Fact]
    public void Touching_regions_merge_into_one_with_the_smaller_minimum_face()
    {
        var merged = DetectionGate.Merge([new DetectionRegion(new Rect(0, 0, 160, 160), 56), new DetectionRegion(new Rect(150, 100, 100, 100), 40)], Frame);

        var one = Assert.Single(merged);
        Assert.Equal(new Rect(0, 0, 256, 208), one.Area);
        Assert.Equal(40, one.MinFace);
    }

    [Fact]
    public void A_big_face_region_does_not_merge_with_a_small_face_region_so_it_is_not_searched_at_the_small_scale()
    {
        var merged = DetectionGate.Merge([new DetectionRegion(new Rect(0, 0, 640, 640), 160), new DetectionRegion(new Rect(600, 100, 100, 100), 40)], Frame);

        Assert.Equal(2, merged.Count);
        Assert.Contains(merged, r => r.MinFace == 160 && r.Area.Width == 640);
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
        Assert.Empty(between.Regions);
        Assert.Single(between.Refind);
        Assert.Equal(ScanReason.Busy, gate.Plan(Frame, 1100, busy, tracks, false).Reason);
    }

    [Fact]
    public void Unknown_motion_asks_for_full_scans_at_most_every_MinFullScanSeconds_with_tracks_followed_between_and_off_scans_every_frame_whole()
    {
        var gate = new DetectionGate(new GatingOptions { MinFullScanSeconds = 0.5 }, 40, 1000);
        gate.Plan(Frame, 0, Still, NoTracks, false);
        var light = new MotionResult(MotionState.LightChange, [], 0.9);
        var waited = gate.Plan(Frame, 100, light, NoTracks, false);
        Assert.Equal(ScanKind.None, waited.Kind);
        Assert.Equal(ScanReason.Busy, waited.Reason);
        Assert.Equal(ScanReason.LightChange, gate.Plan(Frame, 500, light, NoTracks, false).Reason);
        var tracked = gate.Plan(Frame, 566, MotionResult.Calibrating, [(new Rect2f(500, 300, 100, 100), 0)], false);
        Assert.Equal(ScanReason.Tracks, tracked.Reason);
        Assert.Single(tracked.Refind);
        Assert.Empty(tracked.Regions);
        Assert.Equal(ScanReason.Calibrating, gate.Plan(Frame, 1000, MotionResult.Calibrating, NoTracks, false).Reason);

        var off = new DetectionGate(new GatingOptions { Enabled = false }, 40, 1000);
        for (var t = 0; t < 500; t += 66)
        {
            Assert.Equal(ScanReason.GatingOff, off.Plan(Frame, t, Still, NoTracks, false).Reason);
        }
    }
}
