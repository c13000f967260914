using System.Buffers.Binary;
using System.Text;
using EtcdOrleans.Raft;

namespace EtcdOrleans.ReplicaLog.Tests;

public sealed class RecordFormatTests
{
    [Fact]
    public void Checksum_is_crc32c()
    {
        // The standard check value of CRC-32C (Castagnoli) for "123456789".
        Assert.Equal(0xE3069283u, RecordFormat.Checksum(Encoding.ASCII.GetBytes("123456789")));
    }

    [Fact]
    public void Entry_record_round_trips()
    {
        var entry = new Entry(7, 42, EntryType.ConfChange, new byte[] { 1, 2, 3, 4, 5 });
        var buffer = new byte[RecordFormat.EntryRecordSize(entry)];
        Assert.Equal(buffer.Length, RecordFormat.WriteEntry(buffer, entry));
        Assert.Equal(RecordFormat.HeaderSize + 17 + 5, buffer.Length);

        Assert.Equal(RecordStatus.Ok, RecordFormat.TryRead(buffer, 0, out var view, out var next, out _));
        Assert.Equal(RecordType.Entry, view.Type);
        Assert.Equal(buffer.Length, next);
        var read = RecordFormat.ReadEntry(buffer.AsSpan(view.PayloadOffset, view.PayloadLength));
        Assert.Equal((7ul, 42ul, EntryType.ConfChange), (read.Term, read.Index, read.Type));
        Assert.Equal(new byte[] { 1, 2, 3, 4, 5 }, read.Data.ToArray());
    }

    [Fact]
    public void Header_layout_is_crc_length_type_reserved()
    {
        var buffer = new byte[RecordFormat.HeaderSize + RecordFormat.HardStateSize];
        RecordFormat.WriteHardState(buffer, new HardState(3, 2, 1));
        Assert.Equal((uint)RecordFormat.HardStateSize, BinaryPrimitives.ReadUInt32LittleEndian(buffer.AsSpan(4)));
        Assert.Equal((byte)RecordType.HardState, buffer[8]);
        Assert.Equal(new byte[3], buffer[9..12]);
        Assert.Equal(RecordFormat.Checksum(buffer.AsSpan(4)), BinaryPrimitives.ReadUInt32LittleEndian(buffer));

        Assert.Equal(RecordStatus.Ok, RecordFormat.TryRead(buffer, 0, out var view, out _, out _));
        Assert.Equal(new HardState(3, 2, 1), RecordFormat.ReadHardState(buffer.AsSpan(view.PayloadOffset)));
    }

    [Fact]
    public void Segment_header_and_snapshot_records_round_trip()
    {
        var header = new SegmentHeader(5, 100, new HardState(9, 1, 99), 50, 4);
        var buffer = new byte[RecordFormat.HeaderSize + RecordFormat.SegmentHeaderSize + RecordFormat.HeaderSize + RecordFormat.SnapshotSize];
        var at = RecordFormat.WriteSegmentHeader(buffer, header);
        RecordFormat.WriteSnapshot(buffer.AsSpan(at), 77, 6);

        Assert.Equal(RecordStatus.Ok, RecordFormat.TryRead(buffer, 0, out var view, out var next, out _));
        Assert.True(RecordFormat.TryReadSegmentHeader(buffer.AsSpan(view.PayloadOffset, view.PayloadLength), out var read));
        Assert.Equal(header, read);
        Assert.Equal(RecordStatus.Ok, RecordFormat.TryRead(buffer, next, out view, out next, out _));
        Assert.Equal((77ul, 6ul), RecordFormat.ReadSnapshot(buffer.AsSpan(view.PayloadOffset)));
        Assert.Equal(RecordStatus.End, RecordFormat.TryRead(buffer, next, out _, out _, out _));
    }

    [Fact]
    public void Every_single_byte_flip_is_detected()
    {
        var entry = TestDirectory.MakeEntry(3, 2, 40);
        var buffer = new byte[RecordFormat.EntryRecordSize(entry)];
        RecordFormat.WriteEntry(buffer, entry);
        for (var i = 0; i < buffer.Length; i++)
        {
            for (var bit = 0; bit < 8; bit++)
            {
                var damaged = (byte[])buffer.Clone();
                damaged[i] ^= (byte)(1 << bit);
                Assert.Equal(RecordStatus.Bad, RecordFormat.TryRead(damaged, 0, out _, out _, out _));
            }
        }
    }

    [Fact]
    public void Every_truncation_is_detected()
    {
        var entry = TestDirectory.MakeEntry(3, 2, 40);
        var buffer = new byte[RecordFormat.EntryRecordSize(entry)];
        RecordFormat.WriteEntry(buffer, entry);
        for (var length = 1; length < buffer.Length; length++)
        {
            Assert.Equal(RecordStatus.Bad, RecordFormat.TryRead(buffer.AsSpan(0, length), 0, out _, out _, out var problem));
            Assert.NotNull(problem);
        }

        Assert.Equal(RecordStatus.End, RecordFormat.TryRead(ReadOnlySpan<byte>.Empty, 0, out _, out _, out _));
    }

    [Fact]
    public void Zero_filled_space_is_not_a_record()
    {
        Assert.Equal(RecordStatus.Bad, RecordFormat.TryRead(new byte[64], 0, out _, out _, out _));
    }

    [Fact]
    public void Segment_names_carry_sequence_and_first_index()
    {
        var name = SegmentFile.FileName(3, 0x1234);
        Assert.Equal("0000000000000003-0000000000001234.wal", name);
        var parsed = SegmentFile.TryParse("/x/" + name);
        Assert.NotNull(parsed);
        Assert.Equal((3ul, 0x1234ul), (parsed.Sequence, parsed.FirstIndex));
        Assert.Null(SegmentFile.TryParse("/x/snapshot"));
        Assert.Null(SegmentFile.TryParse("/x/zz00000000000003-0000000000001234.wal"));
    }

    [Fact]
    public async Task Snapshot_file_parse_rejects_any_damage()
    {
        var dir = new TestDirectory();
        using (dir)
        {
            var snapshot = new Snapshot(new SnapshotMetadata(10, 3, new ConfState([1, 2, 3], [4])), new byte[] { 9, 8, 7 });
            await SnapshotFile.WriteAsync(dir.Path, snapshot, sync: false, CancellationToken.None);
            var bytes = File.ReadAllBytes(System.IO.Path.Combine(dir.Path, SnapshotFile.FileName));
            var parsed = SnapshotFile.Parse(bytes);
            Assert.NotNull(parsed);
            Assert.Equal((10ul, 3ul), (parsed.Metadata.Index, parsed.Metadata.Term));
            Assert.Equal(new ulong[] { 1, 2, 3 }, parsed.Metadata.ConfState.Voters);
            Assert.Equal(new ulong[] { 4 }, parsed.Metadata.ConfState.Learners);
            Assert.Equal(new byte[] { 9, 8, 7 }, parsed.Data.ToArray());
            for (var i = 0; i < bytes.Length; i++)
            {
                var damaged = (byte[])bytes.Clone();
                damaged[i] ^= 0x10;
                Assert.Null(SnapshotFile.Parse(damaged));
            }
        }
    }
}
