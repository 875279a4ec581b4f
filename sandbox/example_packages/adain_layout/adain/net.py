import torch.nn as nn

from .function import adaptive_instance_normalization as adain
from .function import calc_mean_std  # noqa: F401  (the repository exports it from here too)

# Built at import time, as the repository does; the weights are loaded later by the caller.
decoder = nn.Sequential(
    nn.ReflectionPad2d((1, 1, 1, 1)),
    nn.Conv2d(16, 8, (3, 3)),
    nn.ReLU(),
    nn.Upsample(scale_factor=2, mode='nearest'),
    nn.ReflectionPad2d((1, 1, 1, 1)),
    nn.Conv2d(8, 8, (3, 3)),
    nn.ReLU(),
    nn.ReflectionPad2d((1, 1, 1, 1)),
    nn.Conv2d(8, 3, (3, 3)),
)

vgg = nn.Sequential(
    nn.Conv2d(3, 3, (1, 1)),
    nn.ReflectionPad2d((1, 1, 1, 1)),
    nn.Conv2d(3, 8, (3, 3)),
    nn.ReLU(),  # relu1-1
    nn.MaxPool2d((2, 2), (2, 2), (0, 0), ceil_mode=True),
    nn.ReflectionPad2d((1, 1, 1, 1)),
    nn.Conv2d(8, 16, (3, 3)),
    nn.ReLU(),  # relu2-1
)


class Net(nn.Module):
    def __init__(self, encoder, decoder):
        super(Net, self).__init__()
        self.encoder = encoder
        self.decoder = decoder

    def encode(self, input):
        return self.encoder(input)

    def forward(self, content, style, alpha=1.0):
        assert 0 <= alpha <= 1
        style_feat = self.encode(style)
        content_feat = self.encode(content)
        t = adain(content_feat, style_feat)
        t = alpha * t + (1 - alpha) * content_feat
        return self.decoder(t)
