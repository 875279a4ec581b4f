"""The platform's entry point around the repository's code (the only file added to it)."""
import torch
import torch.nn.functional as F

from adain import net

# Caffe-style networks take 0..255 pixels with the ImageNet mean subtracted.
MEAN = torch.tensor([123.68, 116.78, 103.94]).view(1, 3, 1, 1)


class Stylizer(torch.nn.Module):
    def __init__(self):
        super().__init__()
        # Relative paths: the working directory is the unpacked package.
        net.decoder.load_state_dict(torch.load("adain/models/decoder.pth", map_location="cpu"))
        net.vgg.load_state_dict(torch.load("adain/models/vgg_normalised.pth", map_location="cpu"))
        self.net = net.Net(net.vgg, net.decoder)
        self.register_buffer("mean", MEAN.clone())

    def forward(self, content, style):
        # The platform gives [0, 1]; the networks want 0..255 minus the mean, and give it back.
        out = self.net(content * 255 - self.mean, style * 255 - self.mean)
        out = out + self.mean
        if out.shape[-2:] != content.shape[-2:]:  # the decoder's upsampling rounds odd sizes up
            out = F.interpolate(out, size=content.shape[-2:], mode="bilinear", align_corners=False)
        return (out / 255).clamp(0, 1)
